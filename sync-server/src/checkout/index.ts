// The relay's checkout authority plugin: one per room (depends on @converge/checkout).
export {
  AUTHORITY_NODE_ID,
  type AuthoritiesOptions,
  type AuthorityParts,
  authorities,
  RoomAuthoritySet,
} from './room-authorities.ts';
