/**
 * Expands msg steps addressed to a topic (`topic://<name>`) into one delivery step per
 * subscriber, when the message is created (prepare, or a submit that creates it), as DTM
 * does: subscribers who join later do not get messages already created, and those who
 * leave still get them. The expanded steps are ordinary steps from then on.
 */
import type { FieldIssue } from '@accord/core';
import { ValidationError } from '@accord/core';
import type { TopicRegistry } from '../../topics/topic-registry.js';
import type { DtmCreate } from './dtm-body.js';

/** The URL scheme that names a topic in a msg step's `action`. */
export const TOPIC_PREFIX = 'topic://';

type Step = NonNullable<DtmCreate['body']['steps']>[number];

/**
 * The DTM create with its topic steps expanded. Step `01` of a topic with several
 * subscribers becomes `01-01`, `01-02`, … (one subscriber keeps `01`), each with the
 * step's payload; a step that depended on it depends on all of them. Throws a
 * {@link ValidationError} naming the step when a topic has no subscribers, or when a
 * topic is used outside a msg.
 */
export async function expandTopics(dtm: DtmCreate, topics: TopicRegistry): Promise<DtmCreate> {
  const steps = dtm.body.steps ?? [];
  if (!steps.some((s) => s.action.startsWith(TOPIC_PREFIX))) return dtm;
  const issues: FieldIssue[] = [];
  const expanded: Array<{ step: Step; payload: string }> = [];
  const renamed = new Map<string, string[]>();
  for (const [i, step] of steps.entries()) {
    const payload = dtm.payloads[i] ?? '';
    if (!step.action.startsWith(TOPIC_PREFIX)) {
      expanded.push({ step, payload });
      continue;
    }
    const path = `/steps/${i}/action`;
    const name = step.action.slice(TOPIC_PREFIX.length);
    if (dtm.body.mode !== 'msg') {
      issues.push({ path, message: 'only msg steps may be sent to a topic' });
      continue;
    }
    const subscribers = name === '' ? undefined : await topics.subscribers(name);
    if (!subscribers || subscribers.length === 0) {
      const why = subscribers ? 'has no subscribers' : 'does not exist';
      issues.push({ path, message: `topic "${name}" ${why}: subscribe a URL to it first` });
      continue;
    }
    const id = step.id ?? String(i + 1).padStart(2, '0');
    const ids = subscribers.map((_, j) =>
      subscribers.length === 1 ? id : `${id}-${String(j + 1).padStart(2, '0')}`,
    );
    renamed.set(id, ids);
    subscribers.forEach((s, j) => {
      expanded.push({ step: { ...step, id: ids[j]!, action: s.url }, payload });
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  const outSteps = expanded.map(({ step }) =>
    step.dependsOn
      ? { ...step, dependsOn: step.dependsOn.flatMap((d) => renamed.get(d) ?? [d]) }
      : step,
  );
  return {
    ...dtm,
    body: { ...dtm.body, steps: outSteps },
    payloads: expanded.map((e) => e.payload),
  };
}
