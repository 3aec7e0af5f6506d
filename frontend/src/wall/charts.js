// ECharts, trimmed to what the wall draws, as a bundle of its own: the wall loads it after the
// map's first render so that parsing it does not delay the map.
import { BarChart, GaugeChart, LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, GaugeChart, LineChart, GridComponent, TooltipComponent, CanvasRenderer]);
window.GeoportalECharts = echarts;
