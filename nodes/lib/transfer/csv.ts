/** CSV as RFC 4180 has it: a header row, fields quoted when they hold a comma, quote or line break. */

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value); // never quoted
  const text = typeof value === 'string' ? value : String(value);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',');
}

/**
 * Splits CSV text into rows of cells, quoted cells unquoted. Throws with the line number on a
 * quote that is never closed. `quoted` marks the cells that were quoted (they stay text).
 */
export function* parseCsv(text: string): Generator<{ cells: string[]; quoted: boolean[]; line: number }> {
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const startLine = line;
    const cells: string[] = [];
    const quoted: boolean[] = [];
    for (;;) {
      let cell = '';
      let wasQuoted = false;
      if (text[i] === '"') {
        wasQuoted = true;
        i++;
        for (;;) {
          if (i >= text.length) throw new Error(`line ${startLine}: a quoted cell is never closed`);
          const c = text[i]!;
          if (c === '"' && text[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else if (c === '"') {
            i++;
            break;
          } else {
            if (c === '\n') line++;
            cell += c;
            i++;
          }
        }
      }
      while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') cell += text[i++];
      cells.push(cell);
      quoted.push(wasQuoted);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    if (!(cells.length === 1 && cells[0] === '' && !quoted[0])) yield { cells, quoted, line: startLine };
  }
}
