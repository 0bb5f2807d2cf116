import { describe, expect, test } from 'vitest';
import { conflict, notFound, unlessGone } from '../support/kube-double/errors.js';
import { mustFind } from '../support/kube-double/resources.js';

/**
 * The double's controllers and kubelet delete pods that may be gone already, as
 * Kubernetes' do (pkg/controller/controller_utils.go treats a NotFound on delete as
 * done): a 404, or a 409 from the uid precondition (another pod of that name now),
 * is the outcome wanted; anything else is a bug of the double and must surface.
 */
describe('a deletion of something that may be gone', () => {
  const pods = mustFind('pods');

  test('a 404 or a uid-precondition 409 is what was wanted', () => {
    expect(() => {
      unlessGone(() => {
        throw notFound(pods, 'p');
      });
    }).not.toThrow();
    expect(() => {
      unlessGone(() => {
        throw conflict(pods, 'p');
      });
    }).not.toThrow();
  });

  test('any other failure propagates', () => {
    expect(() => {
      unlessGone(() => {
        throw new TypeError('cannot read properties of undefined');
      });
    }).toThrow(TypeError);
  });
});
