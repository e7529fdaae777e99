// A stand-in for the Encore server's post-purchase API on loopback, answering from a script of
// offer answers and recording every request, as the contract in docs describes it.
import {createServer} from 'node:http';

/**
 * @param {object} options
 * @param {object[]} options.offerAnswers  bodies for successive POST /api/post-purchase/offer;
 *        once used up, {render: false}
 * @param {number} [options.delayMs]       how long to wait before answering anything
 */
export async function startMockEncoreServer({offerAnswers = [], delayMs = 0} = {}) {
  const answers = [...offerAnswers];
  const requests = [];
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    requests.push({path: request.url, authorization: request.headers.authorization, body: JSON.parse(body || 'null')});
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const reply = (status, payload) => {
      response.writeHead(status, {'content-type': 'application/json', 'access-control-allow-origin': '*'});
      response.end(JSON.stringify(payload));
    };
    if (request.url === '/api/post-purchase/offer') return reply(200, answers.shift() ?? {render: false, offers: [], reasons: []});
    if (request.url === '/api/post-purchase/events') return reply(200, {ok: true});
    return reply(404, {error: 'not found'});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    events: () => requests.filter((r) => r.path === '/api/post-purchase/events').map((r) => r.body),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
