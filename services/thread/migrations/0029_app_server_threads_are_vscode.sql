-- Codex 0.171.0's app-server records the threads its clients start as `vscode` (an interactive
-- source, whatever the client's name), and clients look them up by that: the TUI's `resume`
-- lookups ask for the interactive kinds (`cli`, `vscode`). Threads Switchyard recorded as
-- `appServer` (a non-interactive kind those lookups leave out) become `vscode` too.
UPDATE thread.threads SET source = '"vscode"'::jsonb, source_kind = 'vscode' WHERE source_kind = 'appServer';
