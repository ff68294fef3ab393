// One Connect transport for the whole app: binary protobuf (smaller and faster to decode
// than JSON for a 1,000-monitor overview), the admin token on every call when we have one,
// and a token prompt when the server refuses a call as unauthenticated.
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { tokenStore } from "./token";

/** Tries per call: the first, and two more if the user types a token that is refused. */
const TOKEN_ATTEMPTS = 3;

export const authInterceptor: Interceptor = (next) => async (request) => {
  let token = tokenStore.get();
  for (let attempt = 1; ; attempt++) {
    if (token) request.header.set("Authorization", `Bearer ${token}`);
    try {
      return await next(request);
    } catch (error) {
      const refused = error instanceof ConnectError && error.code === Code.Unauthenticated;
      if (!refused || attempt >= TOKEN_ATTEMPTS) throw error;
      if (token) tokenStore.clear();
      const reason = token
        ? `The server refused the token (${error.rawMessage}). Enter it again.`
        : `This change (${methodWords(request.method.name)}) needs the server’s admin token.`;
      token = await tokenStore.request(reason);
      if (!token) throw error;
    }
  }
};

export function createPulsarTransport(baseUrl: string = globalThis.location.origin): Transport {
  return createConnectTransport({
    baseUrl,
    useBinaryFormat: true,
    interceptors: [authInterceptor],
    // A call still unanswered after this is shown as an error rather than a spinner forever.
    defaultTimeoutMs: 20_000,
  });
}

/** "DeleteMonitor" as "delete monitor", for a sentence. */
export function methodWords(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}
