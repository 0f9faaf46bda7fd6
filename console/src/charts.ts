// ECharts, with only the pieces the console draws (keeps the bundle small).
import * as echarts from 'echarts/core'
import {
  BarChart,
  CustomChart,
  FunnelChart,
  HeatmapChart,
  LineChart,
  PieChart,
  type BarSeriesOption,
  type CustomSeriesOption,
  type FunnelSeriesOption,
  type HeatmapSeriesOption,
  type LineSeriesOption,
  type PieSeriesOption,
} from 'echarts/charts'
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  type GridComponentOption,
  type LegendComponentOption,
  type TooltipComponentOption,
  type VisualMapComponentOption,
} from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([
  BarChart,
  CustomChart,
  FunnelChart,
  HeatmapChart,
  LineChart,
  PieChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
])

export type ChartOption = echarts.ComposeOption<
  | BarSeriesOption
  | CustomSeriesOption
  | LineSeriesOption
  | PieSeriesOption
  | FunnelSeriesOption
  | HeatmapSeriesOption
  | GridComponentOption
  | VisualMapComponentOption
  | LegendComponentOption
  | TooltipComponentOption
>

export { echarts }

/** The console's two chart colours: the brand's orange, and blue beside it. */
export const ORANGE = '#e8590c'
export const BLUE = '#1c7ed6'

/** Drawing a 95% interval: a horizontal whisker from `low` to `high` at a category, for a custom
 * series whose data items are `[low, high, category index]` (a horizontal bar chart's axes). */
export const intervalWhisker: NonNullable<CustomSeriesOption['renderItem']> = (_params, api) => {
  const low = api.coord([api.value(0), api.value(2)])
  const high = api.coord([api.value(1), api.value(2)])
  const cap = 6
  const style = { stroke: '#343a40', lineWidth: 1.5 }
  return {
    type: 'group',
    children: [
      { type: 'line', shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style },
      { type: 'line', shape: { x1: low[0], y1: low[1] - cap, x2: low[0], y2: low[1] + cap }, style },
      { type: 'line', shape: { x1: high[0], y1: high[1] - cap, x2: high[0], y2: high[1] + cap }, style },
    ],
  }
}
