/**
 * A progress line on stderr: redrawn in place as a bar on a terminal, and printed at
 * each tenth of the way (and at the end) when stderr is a file or a pipe.
 */

const BAR_WIDTH = 30;

/** Reports `done` of `total`, with a count of failures. */
export interface Progress {
  update(done: number, failed: number): void;
  finish(): void;
}

/** A progress line for `total` items, labelled `what` (e.g. "paused"). */
export function progressLine(
  total: number,
  what: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const tty = stream.isTTY;
  let lastTenth = -1;
  let last = '';
  const text = (done: number, failed: number) => {
    const ratio = total === 0 ? 1 : done / total;
    const filled = Math.round(ratio * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    return `${bar} ${done}/${total} ${what}${failed > 0 ? `, ${failed} failed` : ''}`;
  };
  return {
    update(done, failed) {
      last = text(done, failed);
      if (tty) {
        stream.write(`\r${last}`);
        return;
      }
      const tenth = total === 0 ? 10 : Math.floor((done * 10) / total);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        stream.write(`${last}\n`);
      }
    },
    finish() {
      if (tty && last) stream.write('\n');
    },
  };
}
