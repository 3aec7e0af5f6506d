// ECharts for the reports page: the library comes in its own bundle (web/staff-charts.js), loaded
// the first time a chart has numbers to draw; ``Chart`` keeps one ECharts instance per box and
// fits it to the box as the layout changes (a phone turned, the side menu opening).
import { html, useEffect, useRef, useState } from '../staff/kit.js';

let loading = null;
function loadECharts(src, failed) {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve(window.GeoportalECharts);
      script.onerror = () => {
        loading = null;
        reject(new Error(failed));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

/** One chart: ``option`` is an ECharts option (redrawn whenever it changes); ``note`` a line
 * above it; ``empty`` says why there is nothing to draw instead of an empty frame. */
export function Chart({ c, option, name, title, note, empty }) {
  const box = useRef(null);
  const chart = useRef(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!option || empty) return;
    loadECharts(c.chartsJs, c.text.chartsFailed)
      .then((echarts) => {
        if (!chart.current) {
          chart.current = echarts.init(box.current, null, { renderer: 'canvas' });
          new ResizeObserver(() => chart.current && chart.current.resize()).observe(box.current);
        }
        chart.current.setOption(option, true);
        box.current.dataset.ready = 'true';
      })
      .catch(setError);
  }, [option, empty]);
  useEffect(() => () => chart.current && chart.current.dispose(), []);
  return html`<section class="panel chart-panel" data-chart=${name}>
    <h3>${title}</h3>
    ${error ? html`<p class="error-note" role="alert">${error.message}</p>` : null}
    ${note ? html`<p class="muted chart-note">${note}</p>` : null}
    ${empty ? html`<p class="empty">${empty}</p>` : null}
    <div class=${`chart-box${empty ? ' is-empty' : ''}`} ref=${box}></div>
  </section>`;
}
