/** Whether something accepts TCP connections on a loopback port right now. */
import { connect } from 'node:net';

/**
 * Resolves true once a connection to 127.0.0.1:`port` opens, false when it is refused.
 *
 * @example
 * await canConnect(7070);
 */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
