// The relay's checkout authority plugin: one per room (depends on @converge/checkout).

export { firstTokenOf, OwnerLeases, roomTokenOf, TOKENS_PER_OWNERSHIP } from './owner-leases.ts';
export { CHECKOUT_LOGS, openRedisCheckout } from './redis-checkout.ts';
export {
  AUTHORITY_NODE_ID,
  type AuthoritiesOptions,
  type AuthorityParts,
  authorities,
  clusterAuthorities,
  RoomAuthoritySet,
} from './room-authorities.ts';
