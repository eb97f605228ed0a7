// Server-sent events over a fetch body (EventSource can't POST): yields {event, data}
// with `data` parsed as JSON. Handles LF and CRLF line ends and multi-line data.

export async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        let line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (data.length) yield { event, data: parse(data.join('\n')) };
          event = 'message';
          data = [];
        } else if (line.startsWith(':')) {
          // comment / keep-alive
        } else {
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          let val = i < 0 ? '' : line.slice(i + 1);
          if (val.startsWith(' ')) val = val.slice(1);
          if (field === 'event') event = val;
          else if (field === 'data') data.push(val);
        }
      }
    }
    if (data.length) yield { event, data: parse(data.join('\n')) };
  } finally {
    reader.releaseLock();
  }
}

function parse(text) {
  try { return JSON.parse(text); } catch { return text; }
}
