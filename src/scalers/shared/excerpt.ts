/** A response body for an error message: an HTML error page's title, else the text, on one line and shortened. */
export function bodyExcerpt(body: string, length = 200): string {
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  return (title ?? body).replace(/\s+/g, " ").trim().slice(0, length);
}
