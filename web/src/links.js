// Links shown as links: absolute http(s) addresses only, the rule of shared/links.py. The services refuse
// any other scheme where a link comes in; this keeps one already stored (or carried by an old event) from
// becoming a `javascript:` link in the reader's browser.
const WEB_LINK = /^https?:\/\/[^\s/?#]+[^\s]*$/i

export const isWebLink = (url) => typeof url === 'string' && WEB_LINK.test(url)

// A page of this application (`/publications?batch=PUB-2026-12`, an announcement's link to the publication):
// one leading slash and no scheme, so it cannot leave the application.
export const isPageLink = (url) => typeof url === 'string' && /^\/(?![/\\])[^\s]*$/.test(url)

// What an announcement shows as links: web links and pages of the application.
export const shownLinks = (links) => Object.fromEntries(Object.entries(links || {}).filter(([, url]) => isWebLink(url) || isPageLink(url)))
