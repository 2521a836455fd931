// The one query cache of the page: every read of the API goes through it, so views
// share what another view already fetched, and live events invalidate its keys.
import { QueryClient } from "@tanstack/react-query";

export function createQueryClient(): QueryClient {
  return new QueryClient({
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
}
