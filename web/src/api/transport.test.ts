import { Code, ConnectError } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { tokenStore } from "./token";
import { authInterceptor } from "./transport";

type Next = Parameters<typeof authInterceptor>[0];

/** A stand-in for the next transport step that refuses calls without `want`. */
function server(want: string) {
  const seen: (string | null)[] = [];
  const next = (async (request: { header: Headers }) => {
    const auth = request.header.get("Authorization");
    seen.push(auth);
    if (auth !== `Bearer ${want}`) throw new ConnectError("needs the admin token", Code.Unauthenticated);
    return { ok: true };
  }) as unknown as Next;
  return { next, seen };
}

const request = () => ({ header: new Headers(), method: { name: "DeleteMonitor" } }) as unknown as Parameters<ReturnType<typeof authInterceptor>>[0];

it("asks for the token when a write is refused, then retries with it", async () => {
  const { next, seen } = server("s3cret");
  const unsubscribe = tokenStore.subscribe(() => tokenStore.pending()?.resolve("s3cret"));
  const answer = await authInterceptor(next)(request());
  unsubscribe();
  expect(answer).toEqual({ ok: true });
  expect(seen).toEqual([null, "Bearer s3cret"]);
});

it("gives up with the server's error when the user cancels", async () => {
  const { next, seen } = server("s3cret");
  const unsubscribe = tokenStore.subscribe(() => tokenStore.pending()?.resolve(null));
  await expect(authInterceptor(next)(request())).rejects.toMatchObject({ code: Code.Unauthenticated });
  unsubscribe();
  expect(seen).toEqual([null]);
});

it("asks again after a wrong token, at most three tries in all", async () => {
  const { next, seen } = server("right");
  const unsubscribe = tokenStore.subscribe(() => tokenStore.pending()?.resolve("wrong"));
  await expect(authInterceptor(next)(request())).rejects.toMatchObject({ code: Code.Unauthenticated });
  unsubscribe();
  expect(seen).toEqual([null, "Bearer wrong", "Bearer wrong"]);
});

it("names the refused call in words", async () => {
  const { methodWords } = await import("./transport");
  expect(methodWords("SetChannelRouting")).toBe("set channel routing");
});
