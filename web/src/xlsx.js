// Export a table as a spreadsheet the users open in Excel or WPS: SpreadsheetML 2003 (XML), no library needed.
const escape = (value) => String(value ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function exportRows(name, header, rows) {
  const cells = (row) => row.map((value) => `<Cell><Data ss:Type="String">${escape(value)}</Data></Cell>`).join('')
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Worksheet ss:Name="${escape(name)}"><Table>${[header, ...rows].map((row) => `<Row>${cells(row)}</Row>`).join('')}</Table></Worksheet>
</Workbook>`
  const link = document.createElement('a')
  link.href = URL.createObjectURL(new Blob([xml], { type: 'application/vnd.ms-excel' }))
  link.download = `${name}.xls`
  link.click()
  URL.revokeObjectURL(link.href)
}
