// The one query cache of the page: every read of the API goes through it, so views
// share what another view already fetched, and live events invalidate its keys.
import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { ApiError } from "./api";

/** The caller (GET /auth/me): features/auth reads it; a 401 anywhere asks it again. */
export const ME_KEY = ["auth", "me"] as const;

/** An answer that means "sign in" (no session, or it ended), not an error to show. */
export const isUnauthorized = (error: unknown): boolean => error instanceof ApiError && error.status === 401;

export function createQueryClient(): QueryClient {
  // A 401 from any call means the session is gone: asking who we are again (itself
  // 401 then) puts the sign-in page up (features/auth/AuthGate) instead of an error.
  const signIn = (error: unknown, key: readonly unknown[] | undefined) => {
    const isMe = key !== undefined && key[0] === ME_KEY[0] && key[1] === ME_KEY[1];
    if (isUnauthorized(error) && !isMe) void client.invalidateQueries({ queryKey: ME_KEY });
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: (error, query) => signIn(error, query.queryKey) }),
    mutationCache: new MutationCache({ onError: (error) => signIn(error, undefined) }),
    defaultOptions: {
      queries: {
        // Live views are kept fresh by the server's events (they invalidate the keys they
        // show); data younger than this is shown without asking again when a view mounts.
        staleTime: 5_000,
        // A failure shows at once, with the server's message and a retry button.
        retry: false,
        refetchOnWindowFocus: false,
      },
      mutations: { retry: false },
    },
  });
  return client;
}
