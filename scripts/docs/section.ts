// The generated parts of the docs sit between two marker comments; everything else is written by hand.

/** `document` with what lies between `start` and `end` replaced by `body`; throws when the markers are missing. */
export function withSection(document: string, file: string, start: string, end: string, body: string): string {
    const from = document.indexOf(start);
    const to = document.indexOf(end);
    if (from === -1 || to < from) throw new Error(`${file} lacks the generated-section markers ${start} ... ${end}`);
    return `${document.slice(0, from + start.length)}\n${body}\n${document.slice(to)}`;
}
