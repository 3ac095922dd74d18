/** Sign in with a bearer token; the token is checked against /v1/stats before it is kept. */
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { clearToken, saveToken } from '../session';
import { api } from '../api';

/** The sign-in form. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    saveToken(token.trim());
    try {
      await api('/v1/stats');
      onSignedIn();
    } catch (e) {
      clearToken();
      setError(e instanceof ApiError && e.status === 401 ? 'That token is not valid.' : String(e));
    }
  };
  return (
    <main class="signin">
      <h1>Accord</h1>
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <label>
          Token
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            autoFocus
          />
        </label>
        <p class="muted">Leave empty when the coordinator runs without tokens (loopback).</p>
        <button type="submit">Sign in</button>
        {error && <p role="alert">{error}</p>}
      </form>
    </main>
  );
}
