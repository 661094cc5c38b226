// A proposed plan in plan mode, as Codex 0.171.0 shows it (probed on the binary): a block of the
// agent's text between a `<proposed_plan>` line and a `</proposed_plan>` line becomes a `plan` item
// of its own, streamed with `item/plan/delta`; the tag lines go (each with its line break) and the
// message keeps the text around the block. The splitter works on a stream of text deltas: text that
// cannot be the start of a tag line is passed on at once, the rest of a line is held until it can
// be told apart.

const OPEN = "<proposed_plan>";
const CLOSE = "</proposed_plan>";

export type PlanSegment =
  | { kind: "message"; text: string }
  | { kind: "planStart" }
  | { kind: "plan"; text: string }
  | { kind: "planEnd" };

export class ProposedPlanSplitter {
  private inPlan = false;
  /** The current line's text not passed on yet (it may still turn out to be a tag line). */
  private held = "";
  /** Whether the current line has passed anything on already (it is then not a tag line). */
  private lineStarted = false;

  push(delta: string): PlanSegment[] {
    const segments: PlanSegment[] = [];
    let rest = delta;
    while (rest.length > 0) {
      const newline = rest.indexOf("\n");
      const piece = newline === -1 ? rest : rest.slice(0, newline + 1);
      rest = newline === -1 ? "" : rest.slice(newline + 1);
      this.take(piece, segments);
    }
    return segments;
  }

  /** The end of the text: what was held is passed on, and an unclosed plan ends. */
  finish(): PlanSegment[] {
    const segments: PlanSegment[] = [];
    // A tag on the text's last line, without a line break after it, is still a tag.
    if (this.held.trim() === (this.inPlan ? CLOSE : OPEN)) {
      segments.push({ kind: this.inPlan ? "planEnd" : "planStart" });
      this.inPlan = !this.inPlan;
    } else if (this.held) {
      this.emit(this.held, segments);
    }
    this.held = "";
    this.lineStarted = false;
    if (this.inPlan) {
      this.inPlan = false;
      segments.push({ kind: "planEnd" });
    }
    return segments;
  }

  /** One piece of a line: the line's end included when it has one. */
  private take(piece: string, segments: PlanSegment[]): void {
    const endsLine = piece.endsWith("\n");
    if (this.lineStarted) {
      this.emit(piece, segments);
    } else {
      const line = this.held + piece;
      const tag = this.inPlan ? CLOSE : OPEN;
      const body = line.replace(/\r?\n$/, "").trim();
      if (endsLine && body === tag) {
        this.held = "";
        segments.push({ kind: this.inPlan ? "planEnd" : "planStart" });
        this.inPlan = !this.inPlan;
        return;
      }
      if (!endsLine && tag.startsWith(line.trimStart())) {
        this.held = line; // may still become the tag line
        return;
      }
      this.held = "";
      this.emit(line, segments);
    }
    this.lineStarted = !endsLine;
  }

  private emit(text: string, segments: PlanSegment[]): void {
    if (!text) return;
    const kind = this.inPlan ? "plan" : "message";
    const last = segments.at(-1);
    if (last && last.kind === kind) last.text += text;
    else segments.push({ kind, text });
  }
}

/** A whole text split at once: the message's text and the plan's (null without one). */
export function splitProposedPlan(text: string): { message: string; plan: string | null } {
  const splitter = new ProposedPlanSplitter();
  let message = "";
  let plan: string | null = null;
  for (const segment of [...splitter.push(text), ...splitter.finish()]) {
    if (segment.kind === "message") message += segment.text;
    else if (segment.kind === "plan") plan = (plan ?? "") + segment.text;
    else if (segment.kind === "planStart") plan ??= "";
  }
  return { message, plan };
}
