/** The transaction filters; submitting puts them in the URL. */
import { navigate } from '../router';
import { MODES, STATUSES } from '../types';
import type { Filters } from '../filters';
import { FILTER_NAMES } from '../filters';

function Select(props: {
  name: string;
  label: string;
  value?: string;
  options: readonly string[];
}) {
  return (
    <label>
      {props.label}
      <select name={props.name} value={props.value ?? ''}>
        <option value="">any</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The form; `path` is the page it filters. */
export function FilterForm({ path, filters }: { path: string; filters: Filters }) {
  const submit = (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const params: Record<string, string> = {};
    for (const name of FILTER_NAMES) {
      const value = data.get(name);
      if (typeof value === 'string' && value.trim()) params[name] = value.trim();
    }
    navigate(path, params);
  };
  return (
    <form class="filters" onSubmit={submit} aria-label="Filters">
      <Select name="status" label="Status" value={filters.status} options={STATUSES} />
      <Select name="mode" label="Mode" value={filters.mode} options={MODES} />
      <Select name="parked" label="Parked" value={filters.parked} options={['true', 'false']} />
      <Select name="paused" label="Paused" value={filters.paused} options={['true', 'false']} />
      <Select name="stuck" label="Stuck" value={filters.stuck} options={['true', 'false']} />
      <label>
        Since
        <input type="datetime-local" name="since" value={filters.since ?? ''} />
      </label>
      <label>
        Until
        <input type="datetime-local" name="until" value={filters.until ?? ''} />
      </label>
      <label>
        Gid prefix
        <input name="gidPrefix" value={filters.gidPrefix ?? ''} maxLength={128} />
      </label>
      <label>
        Label (key=value, comma-separated)
        <input name="label" value={filters.label ?? ''} placeholder="team=payments" />
      </label>
      <button type="submit">Apply filters</button>
    </form>
  );
}
