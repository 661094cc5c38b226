// Preloaded (NODE_OPTIONS="--expose-gc --import …") into Switchyard's processes by `pnpm bench --peer`
// so that its memory row measures what is kept, not garbage not yet collected: on SIGUSR2 the
// process runs full collections, then writes a line to stderr. The bench signals every process
// and waits before it reads their RSS. A process started without --expose-gc ignores the signal
// (the handler is installed only when `gc` exists). Plain JavaScript: it loads before tsx.
if (typeof globalThis.gc === "function") {
  process.on("SIGUSR2", () => {
    // Two passes: the first finalizes what the second can then free (weak references, finalizers).
    globalThis.gc();
    globalThis.gc();
  });
}
