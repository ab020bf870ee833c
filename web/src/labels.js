// The procedure's words as the UI shows them (docs/glossary.md), in Chinese and English. Each map reads
// the current locale when a key is looked up, so templates re-render when the user switches language.
import i18n from './i18n.js'

function localized(texts) {
  return new Proxy({}, {
    get: (_, key) => (texts[i18n.global.locale.value] || texts['zh-CN'])[key],
    has: (_, key) => key in texts['zh-CN'],
    ownKeys: () => Reflect.ownKeys(texts['zh-CN']),
    getOwnPropertyDescriptor: (_, key) => (key in texts['zh-CN'] ? { enumerable: true, configurable: true } : undefined),
  })
}

export const CATEGORY = localized({
  'zh-CN': {
    new: '新增需求', optimisation: '优化完善需求', report: '统计报表需求',
    configuration: '功能配置', data_repair: '数据修复', bug: '软件BUG', consulting: '操作咨询',
  },
  en: {
    new: 'New function', optimisation: 'Improvement', report: 'Statistical report',
    configuration: 'Function configuration', data_repair: 'Data repair', bug: 'Software bug', consulting: 'Operation consulting',
  },
})

// Ticket statuses of the portal's read model (services/portal/timeline.py) and of the problem cases
// (services/review/problems/domain/flows.py).
export const STATUS = localized({
  'zh-CN': {
    draft: '草稿', submitted: '已提交', in_review: '审核中', returned: '退回修改', rejected: '已驳回',
    refining: '梳理细化', awaiting_refinement: '待梳理细化', confirming: '待确认', awaiting_confirmation: '待确认',
    adopted: '已采纳', declined: '不予采纳', merged: '已合并', split: '已拆分', published: '已公示', dispatched: '已派单',
    accepted: '已接单', in_development: '开发中', in_testing: '测试中', delivered: '已交付', verifying: '待验证',
    verified: '验证通过', released: '已上线', reported: '已上报',
    refined: '已梳理细化', waiting_for_user: '待用户补充信息', awaiting_user_confirmation: '待用户确认问题',
    ready_for_dispatch: '待派发工单 / 修复中', awaiting_configuration: '待自治区配置', awaiting_verification: '待用户验证',
    awaiting_city_review: '待盟市财政审核', awaiting_region_review: '待自治区财政厅审核',
    awaiting_business_confirmation: '待归口业务处室确认', planning: '制定数据修复方案',
    awaiting_plan_confirmation: '待用户确认修复方案', awaiting_backup: '待备份原始数据', awaiting_repair: '待数据修复',
    awaiting_answer: '待答复', answered: '已答复，待用户确认', closed: '已办结',
  },
  en: {
    draft: 'Draft', submitted: 'Submitted', in_review: 'In review', returned: 'Returned', rejected: 'Rejected',
    refining: 'Refining', awaiting_refinement: 'Awaiting refinement', confirming: 'Awaiting confirmation', awaiting_confirmation: 'Awaiting confirmation',
    adopted: 'Adopted', declined: 'Not adopted', merged: 'Merged', split: 'Split', published: 'Published', dispatched: 'Dispatched',
    accepted: 'Accepted', in_development: 'In development', in_testing: 'In testing', delivered: 'Delivered', verifying: 'Awaiting verification',
    verified: 'Verified', released: 'Released', reported: 'Reported',
    refined: 'Refined', waiting_for_user: 'Waiting for the user', awaiting_user_confirmation: 'Awaiting user confirmation',
    ready_for_dispatch: 'Ready for dispatch / fixing', awaiting_configuration: 'Awaiting configuration', awaiting_verification: 'Awaiting verification',
    awaiting_city_review: 'Awaiting league/city review', awaiting_region_review: 'Awaiting region review',
    awaiting_business_confirmation: 'Awaiting business division', planning: 'Planning the repair',
    awaiting_plan_confirmation: 'Awaiting plan confirmation', awaiting_backup: 'Awaiting backup', awaiting_repair: 'Awaiting repair',
    awaiting_answer: 'Awaiting answer', answered: 'Answered, awaiting the user', closed: 'Closed',
  },
})
export const STATUS_TYPE = {
  rejected: 'danger', declined: 'info', returned: 'warning', released: 'success', verified: 'success', adopted: 'success', closed: 'success',
}
export const LEVEL = localized({
  'zh-CN': { county: '旗县区', city: '盟市', region: '自治区' },
  en: { county: 'County', city: 'League/city', region: 'Region' },
})
export const URGENCY = localized({ 'zh-CN': { normal: '一般', urgent: '紧急' }, en: { normal: 'Normal', urgent: 'Urgent' } })
export const SLA_STATE = localized({
  'zh-CN': { on_track: '正常', ok: '正常', warning: '即将超时', breached: '已超时', met: '按时', paused: '暂停（等待用户）' },
  en: { on_track: 'On track', ok: 'On track', warning: 'Due soon', breached: 'Breached', met: 'Met', paused: 'Paused (waiting for the user)' },
})

export function formatTime(value) {
  if (!value) return ''
  const locale = i18n.global.locale.value === 'en' ? 'en-GB' : 'zh-CN'
  return new Date(value).toLocaleString(locale, { timeZone: 'Asia/Shanghai', hour12: false })
}

// The English names of a timeline's steps (the portal's read model labels them in Chinese:
// services/portal/timeline.py); a step missing here shows the portal's label.
const EVENT_EN = {
  RequirementSubmitted: 'Submitted', ReviewTaskOpened: 'Review opened', ReviewTaskOverdue: 'Review overdue', RequirementForwarded: 'Recommended',
  RequirementRejected: 'Rejected', RequirementReturned: 'Returned for changes', RequirementReviewCompleted: 'Review completed',
  RequirementRefined: 'Refined', RequirementMerged: 'Merged', RequirementSplit: 'Split', RequirementConfirmed: 'Confirmed',
  RequirementPublished: 'Published', WorkOrderDispatched: 'Work order dispatched', WorkOrderProgressed: 'Development progress',
  WorkOrderOverdue: 'Work order overdue', VerificationRequested: 'Verification requested', VerificationPassed: 'Verification passed',
  VerificationFailed: 'Verification failed', WorkOrderReopened: 'Work order reopened', RequirementReleased: 'Released',
  NotificationDelivered: 'Notified', ProblemReported: 'Problem reported', ProblemCaseOpened: 'Entered in the problem ledger',
  ProblemRefined: 'Refined', ProblemReproduced: 'Reproduction', ProblemUserInputRequested: 'Information requested',
  ProblemUserReplied: 'User replied', ProblemConfirmedByUser: 'Confirmed by the user', ProblemReadyForDispatch: 'Ready for a work order',
  ProblemFixReleased: 'Patch released', ProblemVerified: 'Verified by the user', ProblemClosed: 'Closed',
  ProblemComplianceChecked: 'Compliance checked', ProblemConfigured: 'Configured', ProblemRepairReviewed: 'Repair reviewed',
  ProblemBusinessConfirmed: 'Confirmed by the business division', ProblemRepairPlanned: 'Repair planned',
  ProblemRepairPlanAnswered: 'Repair plan answered', ProblemDataBackedUp: 'Data backed up', ProblemDataRepaired: 'Data repaired',
  ProblemQuestionEscalated: 'Escalated to the region', ProblemAnswered: 'Answered', ProblemFollowUpAsked: 'Asked again',
  ProblemSlaWarning: 'Due soon', ProblemSlaBreached: 'Time limit breached (escalated)', TicketCommented: 'Comment',
}
export function eventLabel(entry) {
  return (i18n.global.locale.value === 'en' && EVENT_EN[entry.type]) || entry.label
}

// Roles (shared/auth.py) as the user administration pages name them.
export const ROLE = localized({
  'zh-CN': {
    submitter: '单位录入人员', unit_admin: '单位管理员', reviewer: '财政部门审核人员', it_division: '信息化处', business_division: '业务处室',
    duty_operator: '值班人员', vendor: '开发公司', auditor: '审计人员', sysadmin: '系统管理员', org_admin: '盟市/旗县区管理员',
  },
  en: {
    submitter: 'Unit user', unit_admin: 'Unit administrator', reviewer: 'Finance bureau reviewer', it_division: 'IT division',
    business_division: 'Business division', duty_operator: 'Duty operator', vendor: 'Vendor', auditor: 'Auditor',
    sysadmin: 'System administrator', org_admin: 'League/city or county administrator',
  },
})
// Every role, and what a league/city or county administrator may grant (services/portal/areas.py AREA_ROLES).
export const ROLES = ['submitter', 'unit_admin', 'reviewer', 'it_division', 'business_division', 'duty_operator', 'vendor', 'auditor', 'sysadmin', 'org_admin']
export const AREA_ROLES = ['submitter', 'unit_admin', 'reviewer', 'org_admin']
