import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filePlaceProblem } from './job-definition.js';

describe('where a reconciliation source may read files', () => {
  const roots = ['/srv/statements', '/var/lib/ledger/'];

  it('admits a path inside an allowed directory, the directory itself included', () => {
    assert.equal(filePlaceProblem('/srv/statements/bank', roots), null);
    assert.equal(filePlaceProblem('/srv/statements', roots), null);
    assert.equal(filePlaceProblem('/var/lib/ledger/orders.db', roots), null);
  });

  it('refuses a path outside, one that climbs out with .., and a sibling with a shared prefix', () => {
    for (const path of ['/etc', '/srv/statements/../secrets', '/srv/statements-old/x']) {
      assert.match(filePlaceProblem(path, roots) ?? '', /outside the directories/, path);
    }
  });

  it('refuses a relative path, and every path when no directory is allowed', () => {
    assert.match(filePlaceProblem('statements/bank', roots) ?? '', /absolute/);
    assert.match(filePlaceProblem('/srv/statements/bank', []) ?? '', /allows none/);
  });
});
