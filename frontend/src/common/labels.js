// Labels of the platform's coded values, in both languages (the API's choices, mirrored here so a
// page can draw them before any request returns).

export const LABELS = {
  zh: {
    land_use: { industrial: '工业用地', warehouse: '仓储用地', commercial: '商服用地', mixed: '混合用地', residential: '住宅用地', public: '公共管理与公共服务用地', transport: '交通运输用地', agricultural: '耕地/农用地', forest: '林地', water: '水域及水利设施用地', unused: '未利用地' },
    supply_status: { available: '可供', reserved: '预留', leased: '已租', sold: '已出让', in_use: '已使用', controlled: '控制' },
    supply_mode: { transfer: '出让', lease: '租赁' },
    kind: { standard_factory: '标准厂房', office: '写字楼', incubator: '孵化器', warehouse: '仓库', other: '其他楼宇' },
    category: { school: '学校', hospital: '医院', bank: '银行', transit_stop: '公交站', highway_exit: '高速出入口', port: '港口码头', rail_station: '火车站', hotel: '酒店', mall: '商场', restaurant: '餐饮', petrol_station: '加油站', parking: '停车场' },
    park_level: { national: '国家级', provincial: '省级', municipal: '市级', county: '县级' },
    serviced_level: { '3+1': '三通一平', '5+1': '五通一平', '7+1': '七通一平', '9+1': '九通一平' },
    stage: { lead: '线索', first_talk: '首谈', negotiating: '在谈', review: '评审备案', signed: '签约', started: '开工', construction: '在建', completed: '竣工', production: '投产', target_output: '达产' },
    division_level: { city: '市', county: '县/区', town: '镇/街道', village: '村/社区' },
  },
  en: {
    land_use: { industrial: 'Industrial', warehouse: 'Warehousing', commercial: 'Commercial', mixed: 'Mixed use', residential: 'Residential', public: 'Public services', transport: 'Transport', agricultural: 'Agricultural', forest: 'Forest', water: 'Water', unused: 'Unused' },
    supply_status: { available: 'Available', reserved: 'Reserved', leased: 'Leased', sold: 'Sold', in_use: 'In use', controlled: 'Controlled' },
    supply_mode: { transfer: 'Transfer', lease: 'Lease' },
    kind: { standard_factory: 'Standard factory', office: 'Office', incubator: 'Incubator', warehouse: 'Warehouse', other: 'Other building' },
    category: { school: 'School', hospital: 'Hospital', bank: 'Bank', transit_stop: 'Bus stop', highway_exit: 'Highway exit', port: 'Port', rail_station: 'Railway station', hotel: 'Hotel', mall: 'Shopping mall', restaurant: 'Restaurant', petrol_station: 'Petrol station', parking: 'Parking' },
    park_level: { national: 'National', provincial: 'Provincial', municipal: 'Municipal', county: 'County' },
    serviced_level: { '3+1': '3 utilities + levelled', '5+1': '5 utilities + levelled', '7+1': '7 utilities + levelled', '9+1': '9 utilities + levelled' },
    stage: { lead: 'Lead', first_talk: 'First talk', negotiating: 'Negotiating', review: 'Review & filing', signed: 'Signed', started: 'Started', construction: 'Under construction', completed: 'Completed', production: 'In production', target_output: 'Target output' },
    division_level: { city: 'City', county: 'County/district', town: 'Town/street', village: 'Village/community' },
  },
};

export function makeLabel(lang) {
  const table = LABELS[lang] || LABELS.zh;
  return (group, value) => {
    if (value === null || value === undefined || value === '') return '—';
    return (table[group] && table[group][value]) || (LABELS.zh[group] && LABELS.zh[group][value]) || String(value);
  };
}

export const STAGES = ['lead', 'first_talk', 'negotiating', 'review', 'signed', 'started', 'construction', 'completed', 'production', 'target_output'];
