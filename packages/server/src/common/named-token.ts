/** A named bearer token of `ACCORD_TOKENS`: its name is the actor of what it does. */
export interface NamedToken {
  readonly name: string;
  readonly role: 'client' | 'admin';
  readonly token: string;
}
