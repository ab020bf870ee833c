// Dates as the region reads them: Asia/Shanghai, whatever the browser's time zone. Between 00:00 and 08:00
// Beijing time the UTC date is still yesterday, so `new Date().toISOString().slice(0, 10)` must never be a
// default (a release date the server refuses, a work order overdue the moment it exists).
export const REGION_TIME_ZONE = 'Asia/Shanghai'

// 'YYYY-MM-DD' of `at` (default: now) in Beijing.
export function beijingDate(at = new Date()) {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: REGION_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)
}

// 'YYYY-MM' of now in Beijing.
export const beijingMonth = (at = new Date()) => beijingDate(at).slice(0, 7)

// The calendar year in Beijing.
export const beijingYear = (at = new Date()) => Number(beijingDate(at).slice(0, 4))
