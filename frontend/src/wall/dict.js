export const WALL_DICT = {
  zh: {
    wall_title: '云浮市智慧招商与网格治理大屏',
    theme: '当前主题',
    theme_carriers: '载体资源', theme_governance: '网格治理', theme_projects: '招商项目',
    county_carriers: '各区县可供土地（亩）', county_governance: '各区县信息打点（件）', county_projects: '各区县招商项目（个）',
    funnel_title: '招商项目漏斗（达到该阶段 / 当前）', feed_title: '实时事件', feed_new: '本次开屏新增 {n} 件',
    kpi_parcels: '可供地块', kpi_parcels_mu: '可供土地面积', kpi_buildings: '可租售楼宇厂房', kpi_projects: '在库招商项目',
    kpi_points_today: '今日信息打点', kpi_points_7d: '近7日信息打点',
    live_on: '实时连接', live_off: '连接中断，稍后重连', live_retry: '正在重连', live_busy: '连接繁忙，稍后重试',
    mu: '亩',
  },
  en: {
    wall_title: 'Yunfu investment & grid governance wall',
    theme: 'Theme',
    theme_carriers: 'Carriers', theme_governance: 'Grid governance', theme_projects: 'Investment projects',
    county_carriers: 'Available land by county (mu)', county_governance: 'Field points by county', county_projects: 'Projects by county',
    funnel_title: 'Project funnel (reached / now at stage)', feed_title: 'Live events', feed_new: '{n} new since the wall opened',
    kpi_parcels: 'Available parcels', kpi_parcels_mu: 'Available land', kpi_buildings: 'Buildings to let or sell', kpi_projects: 'Projects in pipeline',
    kpi_points_today: 'Field points today', kpi_points_7d: 'Field points, 7 days',
    live_on: 'Live', live_off: 'Disconnected; reconnecting soon', live_retry: 'Reconnecting', live_busy: 'Server busy; retrying',
    mu: ' mu',
  },
};
