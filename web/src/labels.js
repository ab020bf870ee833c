// The procedure's words as the UI shows them (docs/glossary.md).
export const CATEGORY = {
  new: '新增需求', optimisation: '优化完善需求', report: '统计报表需求',
  configuration: '功能配置', data_repair: '数据修复', bug: '软件BUG', consulting: '操作咨询',
}
export const STATUS = {
  draft: '草稿', submitted: '已提交', in_review: '审核中', returned: '退回修改', rejected: '已驳回',
  refining: '梳理细化', awaiting_refinement: '待梳理细化', confirming: '待确认', awaiting_confirmation: '待确认',
  adopted: '已采纳', declined: '不予采纳', merged: '已合并', published: '已公示', dispatched: '已派单',
  accepted: '已接单', in_development: '开发中', in_testing: '测试中', delivered: '已交付', verifying: '待验证',
  verified: '验证通过', released: '已上线', reported: '已上报',
}
export const STATUS_TYPE = {
  rejected: 'danger', declined: 'info', returned: 'warning', released: 'success', verified: 'success', adopted: 'success',
}
export const LEVEL = { county: '旗县区', city: '盟市', region: '自治区' }
export const URGENCY = { normal: '一般', urgent: '紧急' }

export function formatTime(value) {
  if (!value) return ''
  return new Date(value).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })
}
