import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';

/**
 * An error on an open WebSocket. A peer's protocol fault (a frame over maxPayload, invalid
 * UTF-8, a bad opcode) is the peer's doing and ws has already sent it the close code: not an
 * error of the service, and logging it at error level would let any client fill the error
 * log. Either way the socket is cut.
 */
export function onWebSocketError(error: Error, socket: WebSocket, log: FastifyBaseLogger): void {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('WS_ERR_')) log.info({ err: { code, message: error.message } }, 'websocket peer protocol error');
  else log.error({ err: error }, 'websocket handler error');
  socket.terminate();
}

/**
 * Lets go of the upgrade's HTTP request once its WebSocket is open, for sockets held for hours
 * by the thousand (gateways). @fastify/websocket listens for the socket's errors with a closure
 * over the request and its reply, and the HTTP response it made for the upgrade stays attached
 * to the TCP socket; together they keep the request, its headers, the reply and the response
 * alive for as long as the socket is open. The response is detached and the listener replaced
 * by `onError`, which must do what the plugin's did (`onWebSocketError`) without the request.
 */
export function releaseUpgradeRequest(socket: WebSocket, req: FastifyRequest, onError: (this: WebSocket, err: Error) => void): void {
  const tcp: Socket & { _httpMessage?: unknown } = req.raw.socket;
  const res = tcp._httpMessage;
  if (res instanceof ServerResponse) res.detachSocket(tcp);
  // The plugin's listener is the only one on the socket when the route's handler runs.
  socket.removeAllListeners('error');
  socket.on('error', onError);
}
