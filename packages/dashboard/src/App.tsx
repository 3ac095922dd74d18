/** The shell: sign-in, navigation, and the page of the current route. */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { WhoAmI } from './components/WhoAmI';
import { Health } from './pages/Health';
import { NotificationDetail, Notifications } from './pages/Notifications';
import { Overview } from './pages/Overview';
import { Participants } from './pages/Participants';
import { SignIn } from './pages/SignIn';
import { TransactionDetail } from './pages/TransactionDetail';
import { Parked, Transactions } from './pages/Transactions';
import { href, useRoute, type Route } from './router';
import { clearToken, readToken } from './session';

const NAV = [
  ['/', 'Overview'],
  ['/transactions', 'Transactions'],
  ['/parked', 'Parked & stuck'],
  ['/notifications', 'Notifications'],
  ['/participants', 'Participants'],
  ['/health', 'Health'],
] as const;

function page(route: Route) {
  const [, first = '', second] = route.path.split('/');
  const id = second === undefined ? undefined : decodeURIComponent(second);
  if (first === 'transactions' && id) return <TransactionDetail gid={id} />;
  if (first === 'transactions') return <Transactions route={route} />;
  if (first === 'parked') return <Parked route={route} />;
  if (first === 'notifications' && id) return <NotificationDetail id={id} />;
  if (first === 'notifications') return <Notifications route={route} />;
  if (first === 'participants') return <Participants />;
  if (first === 'health') return <Health />;
  return <Overview />;
}

/** The application. */
export function App() {
  const [signedIn, setSignedIn] = useState(() => readToken() !== null);
  const route = useRoute();
  const client = useQueryClient();
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const section = `/${route.path.split('/')[1] ?? ''}`;
  const signOut = () => {
    clearToken();
    client.clear();
    setSignedIn(false);
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <strong>Accord</strong>
        <nav aria-label="Pages">
          {NAV.map(([path, label]) => (
            <a key={path} href={href(path)} aria-current={section === path ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <WhoAmI />
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page(route)}
      </main>
    </>
  );
}
