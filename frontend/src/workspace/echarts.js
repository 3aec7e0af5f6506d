// ECharts, trimmed to what the reports page draws (bars with a legend and tooltips), as a bundle of its
// own (static-build/web/staff-charts.js): the reports page loads it once its numbers arrive, and
// the other workspace pages never do.
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);
window.GeoportalECharts = echarts;
