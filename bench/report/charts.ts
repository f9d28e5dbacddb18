/**
 * Plain SVG charts for latest.md: latency percentile curves and throughput bars. They are drawn
 * by hand so the bench needs no plotting library and the files diff cleanly.
 */

export interface Series {
  label: string
  /** [percentile 0..100, latency in ms] pairs. */
  points: [number, number][]
  dashed?: boolean
}

export interface CurvePanel {
  title: string
  series: Series[]
}

export interface BarGroup {
  label: string
  bars: { label: string; value: number }[]
}

export interface BarPanel {
  title: string
  unit: string
  groups: BarGroup[]
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#17becf',
  '#7f7f7f',
]
const PANEL_WIDTH = 560
const PANEL_HEIGHT = 320
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 }
const TICK_PERCENTILES = [0, 50, 90, 99, 99.9]
const MAX_PERCENTILE = 99.9

/** Maps a percentile to the x axis the way HDR plots do: log10 of 1 / (1 - p). */
function percentileToX(p: number) {
  return Math.log10(1 / (1 - Math.min(p, MAX_PERCENTILE) / 100))
}

function escapeXml(text: string) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function niceMax(value: number) {
  if (value <= 0) return 1
  const magnitude = 10 ** Math.floor(Math.log10(value))
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value)!
  return step * magnitude
}

function svgDocument(width: number, height: number, body: string[]) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" `,
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">\n`,
    `<rect width="${width}" height="${height}" fill="white"/>\n`,
    ...body,
    '</svg>\n',
  ].join('')
}

/** Draws one percentile-curve panel per entry, side by side, each with its legend below. */
export function percentileChart(panels: CurvePanel[]): string {
  const legendRows = Math.max(0, ...panels.map((panel) => Math.ceil(panel.series.length / 2)))
  const body = panels.map((panel, i) => curvePanel(panel, i * PANEL_WIDTH))
  return svgDocument(PANEL_WIDTH * panels.length, PANEL_HEIGHT + legendRows * 15 + 8, body)
}

function curvePanel(panel: CurvePanel, offsetX: number): string {
  const plotWidth = PANEL_WIDTH - MARGIN.left - MARGIN.right
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom
  const maxX = percentileToX(MAX_PERCENTILE)
  const allValues = panel.series.flatMap((series) => series.points.map(([, ms]) => ms))
  const maxY = niceMax(Math.max(1, ...allValues))
  const x = (p: number) => offsetX + MARGIN.left + (percentileToX(p) / maxX) * plotWidth
  const y = (ms: number) => MARGIN.top + plotHeight - (ms / maxY) * plotHeight

  const parts = [
    `<text x="${offsetX + PANEL_WIDTH / 2}" y="18" text-anchor="middle" font-size="13">`,
    `${escapeXml(panel.title)}</text>\n`,
  ]
  for (let tick = 0; tick <= 4; tick++) {
    const value = (maxY * tick) / 4
    parts.push(
      `<line x1="${x(0)}" x2="${x(MAX_PERCENTILE)}" y1="${y(value)}" y2="${y(value)}" stroke="#ddd"/>`,
      `<text x="${x(0) - 6}" y="${y(value) + 4}" text-anchor="end">${value}</text>\n`,
    )
  }
  for (const p of TICK_PERCENTILES) {
    parts.push(
      `<line x1="${x(p)}" x2="${x(p)}" y1="${y(0)}" y2="${y(maxY)}" stroke="#eee"/>`,
      `<text x="${x(p)}" y="${y(0) + 16}" text-anchor="middle">p${p}</text>\n`,
    )
  }
  parts.push(
    `<text x="${x(50)}" y="${PANEL_HEIGHT - 8}" text-anchor="middle">percentile (log scale)</text>`,
    `<text transform="translate(${offsetX + 14} ${MARGIN.top + plotHeight / 2}) rotate(-90)" `,
    `text-anchor="middle">latency (ms)</text>\n`,
  )

  panel.series.forEach((series, i) => {
    const color = COLORS[i % COLORS.length]
    const path = series.points.map(
      ([p, ms], j) => `${j ? 'L' : 'M'}${x(p).toFixed(1)},${y(ms).toFixed(1)}`,
    )
    const dash = series.dashed ? ' stroke-dasharray="5 4"' : ''
    parts.push(
      `<path d="${path.join('')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>\n`,
    )
    const legendY = PANEL_HEIGHT + 4 + Math.floor(i / 2) * 15
    const legendX = offsetX + MARGIN.left + (i % 2) * 240
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 22}" y1="${legendY}" y2="${legendY}" stroke="${color}" `,
      `stroke-width="2"${dash}/><text x="${legendX + 26}" y="${legendY + 4}">${escapeXml(series.label)}</text>\n`,
    )
  })
  return parts.join('')
}

/** Draws one grouped-bar panel per entry, stacked vertically. */
export function barChart(panels: BarPanel[]): string {
  const width = 900
  const body = panels.map((panel, i) => barPanel(panel, width, i * PANEL_HEIGHT))
  return svgDocument(width, PANEL_HEIGHT * panels.length, body)
}

function barPanel(panel: BarPanel, width: number, offsetY: number): string {
  const plotWidth = width - MARGIN.left - 180
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom
  const labels = [...new Set(panel.groups.flatMap((group) => group.bars.map((bar) => bar.label)))]
  const maxY = niceMax(Math.max(1, ...panel.groups.flatMap((g) => g.bars.map((b) => b.value))))
  const y = (value: number) => offsetY + MARGIN.top + plotHeight - (value / maxY) * plotHeight
  const groupWidth = plotWidth / Math.max(1, panel.groups.length)
  const barWidth = (groupWidth * 0.85) / Math.max(1, labels.length)

  const parts = [
    `<text x="${width / 2}" y="${offsetY + 18}" text-anchor="middle" font-size="13">`,
    `${escapeXml(panel.title)}</text>\n`,
  ]
  for (let tick = 0; tick <= 4; tick++) {
    const value = (maxY * tick) / 4
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(value) + 4}" text-anchor="end">${value}</text>\n`,
    )
  }
  parts.push(
    `<text transform="translate(14 ${offsetY + MARGIN.top + plotHeight / 2}) rotate(-90)" `,
    `text-anchor="middle">${escapeXml(panel.unit)}</text>\n`,
  )

  panel.groups.forEach((group, g) => {
    const groupX = MARGIN.left + g * groupWidth + groupWidth * 0.075
    parts.push(
      `<text x="${groupX + (groupWidth * 0.85) / 2}" y="${y(0) + 16}" text-anchor="middle">`,
      `${escapeXml(group.label)}</text>\n`,
    )
    for (const bar of group.bars) {
      const index = labels.indexOf(bar.label)
      const barX = groupX + index * barWidth
      const color = COLORS[index % COLORS.length]
      parts.push(
        `<rect x="${barX.toFixed(1)}" y="${y(bar.value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" `,
        `height="${(y(0) - y(bar.value)).toFixed(1)}" fill="${color}"><title>${escapeXml(bar.label)}: `,
        `${Math.round(bar.value)}</title></rect>\n`,
      )
    }
  })
  labels.forEach((label, i) => {
    const legendY = offsetY + MARGIN.top + 8 + i * 15
    const legendX = MARGIN.left + plotWidth + 12
    parts.push(
      `<rect x="${legendX}" y="${legendY - 8}" width="12" height="10" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${legendX + 16}" y="${legendY + 1}">${escapeXml(label)}</text>\n`,
    )
  })
  return parts.join('')
}
