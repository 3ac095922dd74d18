/** Where the four services listen. */
import type { ResourceName } from './checkout.js';
import { SHOP_ROUTES } from './shop-service.js';

/**
 * Base URL of each service.
 *
 * @example
 * const urls: ShopUrls = { stock: 'http://127.0.0.1:4001', order: '…', points: '…', wallet: '…' };
 */
export type ShopUrls = Readonly<Record<ResourceName, string>>;

/** The URL of one of {@link SHOP_ROUTES} at one service. */
export function routeOf(
  urls: ShopUrls,
  resource: ResourceName,
  route: keyof typeof SHOP_ROUTES,
): string {
  return `${urls[resource]}${SHOP_ROUTES[route]}`;
}
