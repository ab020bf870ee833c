// Links shown as links: absolute http(s) addresses only, the rule of shared/links.py. The services refuse
// any other scheme where a link comes in; this keeps one already stored (or carried by an old event) from
// becoming a `javascript:` link in the reader's browser.
const WEB_LINK = /^https?:\/\/[^\s/?#]+[^\s]*$/i

export const isWebLink = (url) => typeof url === 'string' && WEB_LINK.test(url)

// { key: url } → the same object without the entries that are not web links.
export const webLinks = (links) => Object.fromEntries(Object.entries(links || {}).filter(([, url]) => isWebLink(url)))
