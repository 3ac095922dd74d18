import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromDtmGrpcTarget, isGrpcTarget, parseGrpcTarget } from './grpc-target.js';
import { TargetPolicy } from './target-policy.js';

describe('gRPC targets', () => {
  it("adds the scheme to DTM's form and leaves URLs alone", () => {
    assert.equal(
      fromDtmGrpcTarget('localhost:58081/busi.Busi/TransOut'),
      'grpc://localhost:58081/busi.Busi/TransOut',
    );
    assert.equal(fromDtmGrpcTarget('http://a:1/x'), 'http://a:1/x');
    assert.equal(fromDtmGrpcTarget(''), '');
  });

  it('parses host, port, authority and method', () => {
    assert.deepEqual(parseGrpcTarget('grpcs://[::1]:9000/pkg.v1.Svc/Do'), {
      tls: true,
      host: '::1',
      port: 9000,
      authority: '[::1]:9000',
      method: '/pkg.v1.Svc/Do',
    });
    assert.equal(isGrpcTarget('grpc://a:1/S/M'), true);
    assert.equal(isGrpcTarget('http://a:1/S/M'), false);
    assert.match(parseGrpcTarget('grpc://a:1/no-method') as string, /must name a method/);
  });

  it('goes through the outbound policy like a URL', () => {
    const policy = new TargetPolicy({ allowed: [], denied: ['169.254.0.0/16', 'bad.example'] });
    assert.equal(policy.checkUrl('grpc://127.0.0.1:50051/busi.Busi/TransOut'), null);
    assert.match(policy.checkUrl('grpc://169.254.169.254:80/a.B/C')!, /denied/);
    assert.match(policy.checkUrl('grpc://bad.example:80/a.B/C')!, /denied/);
    assert.match(policy.checkUrl('grpc://127.0.0.1/a.B/C')!, /must name a port/);
    assert.match(policy.checkUrl('grpc://127.0.0.1:1/a.B/C', undefined, 'http')!, /http or https/);
  });
});
