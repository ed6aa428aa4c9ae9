/**
 * What the header says when the relay connection is not fine: plain words for a person, and the
 * technical detail (close code, error code, the relay's own message) for the tooltip.
 */
import { CloseCode } from '@converge/protocol';
import type { RelayProblem } from '@converge/replica';

export interface RelayProblemText {
  /** One plain sentence. */
  readonly text: string;
  /** The technical detail: codes and the relay's own words. */
  readonly detail: string;
}

const CLOSED: Readonly<Record<number, string>> = {
  1006: 'the connection to the relay dropped',
  [CloseCode.FrameTooLarge]: 'the relay refused a message that was too large',
  [CloseCode.Internal]: 'the relay hit an internal error',
  [CloseCode.TryAgainLater]: 'the relay is busy',
  [CloseCode.BadFrames]: 'the relay could not read what this window sent',
  [CloseCode.HelloRequired]: 'the relay could not read what this window sent',
  [CloseCode.HelloTimeout]: 'this window took too long to introduce itself to the relay',
  [CloseCode.Unauthorized]: 'the relay did not accept this window’s credential for the room',
  [CloseCode.ProtocolVersion]: 'this window and the relay speak different versions',
  [CloseCode.NodeLimit]: 'the room is full',
  [CloseCode.RoomLimit]: 'the relay has no room for another room',
  [CloseCode.RateLimited]: 'this window sent too much too fast',
  [CloseCode.Replaced]: 'another connection of this replica took over',
  [CloseCode.SlowConsumer]: 'this window fell too far behind',
  [CloseCode.IdentityInUse]: 'this replica is already connected elsewhere',
};

export function describeRelayProblem(problem: RelayProblem): RelayProblemText | undefined {
  switch (problem.kind) {
    case 'closed': {
      if (problem.code === CloseCode.Normal || problem.code === CloseCode.GoingAway) return undefined;
      const what = CLOSED[problem.code] ?? 'the relay closed the connection';
      const retry = problem.permanent ? '; switch Offline on and off to try again' : '; reconnecting';
      return {
        text: `${capitalize(what)}${retry}.`,
        detail: `WebSocket close code ${problem.code}${problem.reason !== '' ? `: ${problem.reason}` : ''}`,
      };
    }
    case 'connect-failed':
      return { text: 'Cannot reach the relay; retrying.', detail: problem.message };
    case 'no-credential':
      // The provider's message says what to do (open the printed URL…): it is for the person.
      return {
        text: `This window has no credential to join the room: ${problem.message}`,
        detail: problem.message,
      };
    case 'error-frame':
      return {
        text: `The relay refused something: ${problem.message}`,
        detail: `relay error ${problem.code}: ${problem.message}`,
      };
    case 'frame-too-large':
      return {
        text: 'A change was too large to send through the relay.',
        detail: `a ${problem.bytes}-byte frame exceeds the relay's limit of ${problem.limit} bytes`,
      };
    case 'malformed-frame':
      return { text: 'The relay sent something this window could not read.', detail: problem.message };
    case 'read-only':
      return {
        text: `This window may read room ${problem.room} but not write to it: its edits stay here.`,
        detail: 'the credential has no write right',
      };
    default:
      return undefined;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
