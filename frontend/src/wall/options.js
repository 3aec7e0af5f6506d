// The wall's chart options (ECharts), one builder per kind of chart: horizontal bars (by county,
// by land use, by category, by status), the month-by-month trend with its 环比 line, and the
// target gauge. Sizes are in rem, read from the page, so a chart's type scales with the wall and is
// never under 1.2 rem (14.4 px at 1080p).

export function remPx(rem) {
  return rem * parseFloat(getComputedStyle(document.documentElement).fontSize);
}

const TEXT = '#e2f0ff';
const MUTED = '#8fb3d9';
const RULE = 'rgba(143,179,217,.12)';
// The charts' default type too (a tooltip, an axis name): nothing falls back to ECharts' 12 px.
const base = () => ({ animationDuration: 800, textStyle: { fontSize: remPx(1.2) }, tooltip: { show: false } });

// rows: [{ name, value, colour? }]; colour: one colour (a gradient from blue) or each row's own.
export function barsOption(echarts, rows, { colour, label }) {
  const fill = (c) => new echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: '#0ea5e9' }, { offset: 1, color: c }]);
  return {
    ...base(),
    grid: { left: '2%', right: '14%', top: '2%', bottom: '2%', containLabel: true },
    xAxis: { type: 'value', axisLabel: { show: false }, splitLine: { lineStyle: { color: RULE } } },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name), axisLabel: { color: MUTED, fontSize: remPx(1.2), interval: 0 }, axisLine: { lineStyle: { color: '#1d5fa8' } }, axisTick: { show: false } },
    series: [
      {
        type: 'bar',
        data: rows.map((r) => ({ value: r.value, itemStyle: { color: r.colour || fill(colour), borderRadius: [0, 4, 4, 0] } })),
        barMaxWidth: remPx(1.4),
        label: { show: true, position: 'right', color: TEXT, fontSize: remPx(1.2), formatter: (p) => label(p.value) },
      },
    ],
  };
}

// series: the server's months (web/trends.py); the bars are the values, the line is 环比 in %.
export function trendOption(series, { colour, monthLabel, valueLabel, momName }) {
  return {
    ...base(),
    grid: { left: '2%', right: '2%', top: '14%', bottom: '2%', containLabel: true },
    xAxis: { type: 'category', data: series.map((m) => monthLabel(m.month)), axisLabel: { color: MUTED, fontSize: remPx(1.2), interval: 1 }, axisLine: { lineStyle: { color: '#1d5fa8' } }, axisTick: { show: false } },
    yAxis: [
      { type: 'value', minInterval: 1, axisLabel: { color: MUTED, fontSize: remPx(1.2), formatter: valueLabel }, splitLine: { lineStyle: { color: RULE } }, splitNumber: 3 },
      { type: 'value', axisLabel: { show: false }, splitLine: { show: false } },
    ],
    series: [
      // This month is still under way: its bar is hatched paler.
      { type: 'bar', data: series.map((m) => ({ value: m.value, itemStyle: { color: colour, opacity: m.partial ? 0.4 : 0.85, borderRadius: [3, 3, 0, 0] } })), barMaxWidth: remPx(1.4) },
      { type: 'line', name: momName, yAxisIndex: 1, data: series.map((m) => (m.mom === null || m.partial ? null : Math.round(m.mom * 1000) / 10)), connectNulls: false, symbolSize: remPx(0.5), lineStyle: { color: '#fde68a', width: remPx(0.15) }, itemStyle: { color: '#fde68a' } },
    ],
  };
}

export function gaugeOption(completion) {
  const value = completion === null ? 0 : Math.round(completion * 1000) / 10;
  return {
    ...base(),
    series: [
      {
        type: 'gauge',
        min: 0,
        max: 100,
        radius: '95%',
        center: ['50%', '55%'],
        startAngle: 210,
        endAngle: -30,
        progress: { show: true, width: remPx(0.9), itemStyle: { color: value >= 100 ? '#4ade80' : '#38bdf8' } },
        axisLine: { lineStyle: { width: remPx(0.9), color: [[1, 'rgba(143,179,217,.18)']] } },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        pointer: { show: false },
        title: { show: false },
        detail: { valueAnimation: true, offsetCenter: [0, '-2%'], color: '#fde68a', fontSize: remPx(2.2), fontWeight: 700, formatter: () => `${value}%` },
        data: [{ value: Math.min(value, 100) }],
      },
    ],
  };
}
