// 统计报表 (/staff/reports/): the KPIs of the caller's area for a year and month (headline
// figures, and ECharts charts: projects by stage, completion of the annual target by county, the
// year's introduced projects by industry, this month against last month and a year before), and
// the reports (新引进项目清单, 开工竣工, 流转, 遴选备案…) with their period and Excel export — a
// large export runs as a job whose progress the page follows. The choices live in the address.
import { COLOURS } from '../common/labels.js';
import {
  BusyButton,
  DataTable,
  ErrorNote,
  FilterForm,
  Pager,
  StaffHeader,
  fieldErrors,
  fill,
  html,
  makeStaffApi,
  mount,
  pageConfig,
  saveFile,
  useEffect,
  useState,
} from '../staff/kit.js';
import { wan } from './common.js';
import { Chart } from './charts.js';

const config = pageConfig();
const api = makeStaffApi(config);
const POLL_MS = 1000;

function readAddress() {
  const params = new URLSearchParams(window.location.search);
  const pick = (keys) => Object.fromEntries(keys.filter((k) => params.get(k)).map((k) => [k, params.get(k)]));
  return { kpi: pick(['year', 'month', 'division']), report: params.get('report') || '', rows: pick(['from', 'to', 'rdivision']) };
}

function writeAddress(kpi, report, rows) {
  const params = new URLSearchParams({ ...kpi, ...(report ? { report } : {}), ...rows });
  if (config.lang === 'en') params.set('lang', 'en');
  window.history.replaceState(null, '', `?${params.toString()}`);
}

const percent = (rate) => (rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`);
const change = (rate) => (rate === null || rate === undefined ? '—' : `${rate > 0 ? '+' : ''}${(rate * 100).toFixed(1)}%`);

function Tiles({ c, k }) {
  const t = c.text.kpi;
  const days = (m) => (m.days === null ? '—' : fill(c.text.days, { n: m.days }));
  const tiles = [
    ['projects', t.projects, k.counts.projects],
    ['introduced', t.introduced, k.counts.introduced],
    ['planned', t.planned, wan(k.investment.planned_wan, c.lang)],
    ['completion', t.completion, percent(k.completion.new_projects)],
    ['billion', t.billion, k.billion_projects.count],
    ['foreign', t.foreign, k.foreign_capital.count],
    ['not_registered', t.notRegistered, k.signed_not_registered],
    ['not_producing', t.notProducing, k.completed_not_producing],
    ['below_target', t.belowTarget, k.producing_below_target],
    ['signed_to_production', t.signedToProduction, days(k.median_days.signed_to_production)],
  ];
  return html`<div class="kpi-tiles">${tiles.map(
    ([key, label, value]) => html`<div class="kpi-tile" data-kpi=${key}><span class="kpi-value">${value}</span><span class="kpi-label">${label}</span></div>`,
  )}</div>`;
}

const AXIS_LABEL = { fontSize: 11, color: '#616e7c' };
const GRID = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };

/** Projects by stage, the first stage on top: the pipeline's funnel as bars, which stay readable
 * when some stages are empty (a funnel's shape then says nothing). */
function byStage(c, k) {
  const stages = Object.keys(c.labels.stages);
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { ...GRID, top: 8 },
    xAxis: { type: 'value', minInterval: 1, axisLabel: AXIS_LABEL },
    yAxis: { type: 'category', inverse: true, data: stages.map((s) => c.labels.stages[s]), axisLabel: AXIS_LABEL },
    series: [
      {
        type: 'bar',
        name: c.text.chart.projects,
        label: { show: true, position: 'right', fontSize: 11 },
        data: stages.map((s) => ({ value: k.counts.by_stage[s] || 0, itemStyle: { color: COLOURS.stage[s] } })),
      },
    ],
  };
}

function byCounty(c, k) {
  const rows = k.by_county;
  const targeted = rows.some((r) => r.target);
  const names = rows.map((r) => r.name || r.division);
  if (!targeted) {
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: GRID,
      xAxis: { type: 'category', data: names, axisLabel: { ...AXIS_LABEL, interval: 0, rotate: names.length > 5 ? 30 : 0 } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: AXIS_LABEL },
      series: [{ name: c.text.chart.newProjects, type: 'bar', data: rows.map((r) => r.introduced), itemStyle: { color: '#1565c0' } }],
    };
  }
  const rate = (r, key) => (r.completion[key] === null ? null : Math.round(r.completion[key] * 1000) / 10);
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null || v === undefined ? '—' : `${v}%`) },
    legend: { top: 0 },
    grid: GRID,
    xAxis: { type: 'category', data: names, axisLabel: { ...AXIS_LABEL, interval: 0, rotate: names.length > 5 ? 30 : 0 } },
    yAxis: { type: 'value', axisLabel: { ...AXIS_LABEL, formatter: '{value}%' } },
    series: [
      { name: c.text.chart.projectsRate, type: 'bar', data: rows.map((r) => rate(r, 'new_projects')), itemStyle: { color: '#1565c0' } },
      { name: c.text.chart.investmentRate, type: 'bar', data: rows.map((r) => rate(r, 'investment')), itemStyle: { color: '#f0b429' } },
    ],
  };
}

/** The year's introduced investment by industry (largest first, ten at most); each bar says how
 * many projects it is, as the two numbers do not share a scale. */
function byIndustry(c, k) {
  const rows = k.by_industry.slice(0, 10);
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    grid: GRID,
    xAxis: { type: 'value', axisLabel: AXIS_LABEL },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.label), axisLabel: AXIS_LABEL },
    series: [
      {
        name: c.text.chart.investment,
        type: 'bar',
        itemStyle: { color: '#2f9e44' },
        label: { show: true, position: 'insideLeft', color: '#fff', fontSize: 11, formatter: (item) => fill(c.text.chart.nProjects, { n: rows[item.dataIndex].introduced }) },
        data: rows.map((r) => r.investment_wan),
      },
    ],
  };
}

function periods(c, k) {
  const keys = ['same_month_last_year', 'last_month', 'this_month'];
  const names = [c.text.chart.sameMonthLastYear, c.text.chart.lastMonth, c.text.chart.thisMonth];
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: GRID,
    xAxis: { type: 'category', data: names, axisLabel: AXIS_LABEL },
    yAxis: [
      { type: 'value', minInterval: 1, axisLabel: AXIS_LABEL },
      { type: 'value', axisLabel: AXIS_LABEL, splitLine: { show: false } },
    ],
    series: [
      { name: c.text.chart.newProjects, type: 'bar', data: keys.map((key) => k.periods[key].introduced), itemStyle: { color: '#1565c0' } },
      { name: c.text.chart.investment, type: 'bar', yAxisIndex: 1, data: keys.map((key) => k.periods[key].investment_wan), itemStyle: { color: '#2f9e44' } },
    ],
  };
}

function Kpis({ c, filter, setFilter }) {
  const [k, setK] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setError(null);
    api.get(c.kpisApi, filter).then(setK).catch((err) => (setError(err), setK(null)));
  }, [filter]);
  const p = k && k.periods;
  return html`<section class="kpis">
    <${FilterForm} fields=${c.kpiFilters} values=${filter} onSubmit=${setFilter} errors=${fieldErrors(error)} text=${c.text} />
    <${ErrorNote} error=${error} />
    ${k
      ? html`<p class="count-line">${fill(c.text.kpiFor, { year: k.year, month: k.month })}</p>
        <${Tiles} c=${c} k=${k} />
        <div class="chart-grid">
          <${Chart} c=${c} name="stages" title=${c.text.chart.stages} option=${byStage(c, k)} />
          <${Chart} c=${c} name="county" title=${c.text.chart.county} option=${byCounty(c, k)}
            note=${k.by_county.some((r) => r.target) ? null : c.text.chart.noTargets} empty=${k.by_county.length ? null : c.text.chart.nothing} />
          <${Chart} c=${c} name="industry" title=${c.text.chart.industry} option=${byIndustry(c, k)} empty=${k.by_industry.length ? null : c.text.chart.nothing} />
          <${Chart} c=${c} name="periods" title=${c.text.chart.periods} option=${periods(c, k)}
            note=${fill(c.text.chart.changes, { mom: change(p.month_on_month.introduced), yoy: change(p.year_on_year.introduced) })} />
        </div>`
      : null}
  </section>`;
}

function ExportButton({ c, url, params }) {
  const [job, setJob] = useState(null);
  const [error, setError] = useState(null);
  const follow = async (jobUrl) => {
    for (;;) {
      const state = await api.get(jobUrl);
      setJob(state);
      if (state.status === 'succeeded') return saveFile(await api.file(state.download));
      if (state.status === 'failed' || state.status === 'cancelled') throw new Error(state.error || c.text.exportFailed);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  const start = async () => {
    setError(null);
    setJob(null);
    try {
      const answer = await api.file(url, params);
      if (answer.blob) saveFile(answer);
      else await follow(answer.data.job.url);
    } catch (err) {
      setError(err);
    }
  };
  const running = job && !['succeeded', 'failed', 'cancelled'].includes(job.status);
  return html`<span class="export">
    <${BusyButton} label=${c.text.exportXlsx} busyLabel=${c.text.exporting} onClick=${start} data-export="xlsx" />
    ${running
      ? html`<span class="export-progress" role="status"><progress max="100" value=${job.progress || 0}></progress> ${fill(c.text.exportProgress, { n: Math.round(job.progress || 0) })}</span>`
      : null}
    ${job && job.status === 'succeeded' ? html`<small class="muted">${c.text.exportDone}</small>` : null}
    <${ErrorNote} error=${error} />
  </span>`;
}

/** The report's own filters as the API names them (``rdivision`` keeps it apart from the KPIs'). */
function reportParams(filter) {
  const { rdivision, ...rest } = filter;
  return rdivision ? { ...rest, division: rdivision } : rest;
}

function Reports({ c, report, setReport, filter, setFilter }) {
  const [catalogue, setCatalogue] = useState(null);
  const [page, setPage] = useState(1);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api
      .get(c.reportsApi)
      .then((answer) => {
        setCatalogue(answer.reports);
        if (!answer.reports.some((r) => r.name === report) && answer.reports.length) setReport(answer.reports[0].name);
      })
      .catch(setError);
  }, []);
  const chosen = catalogue && catalogue.find((r) => r.name === report);
  // A report of this module answers with columns and rows; the problem ledger is listed with its
  // own list's address, so the page offers its export only.
  const tabular = chosen && chosen.url.startsWith(c.reportsApi);
  useEffect(() => setPage(1), [report, filter]);
  useEffect(() => {
    setData(null);
    if (!tabular) return;
    setError(null);
    api
      .get(chosen.url, { ...reportParams(filter), page })
      .then(setData)
      .catch((err) => setError(err));
  }, [chosen && chosen.url, filter, page]);
  const show = (kind, value) => {
    if (value === null || value === undefined) return '';
    if (kind === 'number') return wan(value, c.lang);
    if (kind === 'bool') return value ? c.text.yes : c.text.no;
    return value;
  };
  const columns = data ? data.columns.map((col) => ({ name: col.key, label: col.label, render: (row) => show(col.type, row[col.key]) })) : [];
  const last = data ? Math.max(1, Math.ceil(data.count / data.page_size)) : 1;
  return html`<section class="reports panel">
    <h2>${c.text.reportsTitle}</h2>
    ${catalogue
      ? html`<div class="report-pick" role="tablist">${catalogue.map(
          (r) => html`<button type="button" role="tab" data-report=${r.name} aria-selected=${r.name === report ? 'true' : 'false'}
            class=${r.name === report ? 'tab current' : 'tab'} onClick=${() => setReport(r.name)}>${r.title}</button>`,
        )}</div>`
      : null}
    <${FilterForm} fields=${c.reportFilters} values=${filter} onSubmit=${setFilter} errors=${fieldErrors(error)} text=${c.text} />
    <${ErrorNote} error=${error} />
    ${chosen
      ? html`<div class="toolbar">
          <strong>${chosen.title}</strong>
          ${data ? html`<span class="muted" id="report-count">${fill(c.text.rows, { n: data.count })}</span>` : null}
          ${!tabular ? html`<span class="muted">${c.text.exportOnly}</span>` : null}
          <${ExportButton} c=${c} url=${chosen.export} params=${reportParams(filter)} />
        </div>`
      : null}
    ${data
      ? html`<${DataTable} columns=${columns} rows=${data.rows} empty=${c.text.empty} />
        ${last > 1 ? html`<${Pager} previous=${page > 1 ? page - 1 : null} next=${page < last ? page + 1 : null} onPage=${setPage} text=${c.text} />` : null}`
      : null}
  </section>`;
}

function ReportsPage({ config: c }) {
  const start = readAddress();
  const [kpi, setKpiState] = useState(start.kpi);
  const [report, setReportState] = useState(start.report);
  const [rows, setRowsState] = useState(start.rows);
  const setKpi = (v) => (setKpiState(v), writeAddress(v, report, rows));
  const setReport = (v) => (setReportState(v), writeAddress(kpi, v, rows));
  const setRows = (v) => (setRowsState(v), writeAddress(kpi, report, v));
  return html`<div>
    <${StaffHeader} config=${c} />
    <main class="staff-main reports-page">
      <${Kpis} c=${c} filter=${kpi} setFilter=${setKpi} />
      <${Reports} c=${c} report=${report} setReport=${setReport} filter=${rows} setFilter=${setRows} />
    </main>
  </div>`;
}

mount(ReportsPage, config);
