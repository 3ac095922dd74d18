/** Who is signed in: `/v1/whoami` when the coordinator has it, else a plain "signed in". */
import { useQuery } from '@tanstack/react-query';
import { api, isMissingRoute } from '../api';

/** The name and role, or a fallback. */
export function WhoAmI() {
  const me = useQuery({
    queryKey: ['whoami'],
    queryFn: () => api<{ name: string; role: string }>('/v1/whoami'),
    retry: false,
    staleTime: 60_000,
  });
  if (me.data) return <span class="whoami">{`${me.data.name} (${me.data.role})`}</span>;
  if (isMissingRoute(me.error)) return <span class="whoami">signed in (token)</span>;
  return <span class="whoami">…</span>;
}
