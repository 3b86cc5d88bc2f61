import { useState } from 'react';
import { isCancelled } from '../api/client.js';

export interface PollFailure {
  /** The last failure's message, shown by the view; '' once a request succeeds. */
  message: string;
  /** Runs one poll's request, keeping `message` and the header (through reportError) up to date. */
  watch: (request: () => Promise<void>) => Promise<void>;
}

/**
 * The error line of a view that polls. A failure shows in the view and in the header; a success
 * clears the view's line; a cancelled request changes neither, as it is the poll restarting or
 * the view closing. Success is not reported to the header here: a request says reportOk itself
 * when it speaks for the connection. Several polls of one view may share one line.
 */
export function usePollFailure(reportError: (error: unknown) => void): PollFailure {
  const [message, setMessage] = useState('');
  const watch = async (request: () => Promise<void>): Promise<void> => {
    try {
      await request();
      setMessage('');
    } catch (error) {
      if (isCancelled(error)) return;
      setMessage((error as Error).message);
      reportError(error);
    }
  };
  return { message, watch };
}
