import { createI18n, useI18n } from 'vue-i18n'

// Chinese first (the region's users), English available from the header switch.
const messages = {
  'zh-CN': {
    app: '预算管理一体化需求与问题管理平台',
    nav: {
      home: '工作台', submit: '提交需求', import: '批量导入', problem: '问题上报', tickets: '我的工单',
      review: '审核队列', refinement: '梳理细化', confirmation: '需求确认', publications: '需求公示',
      workOrders: '开发工单', verifications: '业务验证', problemDesk: '问题办理', faq: '常见问题', releases: '部署上线', notifications: '消息通知', announcements: '通知公告', logout: '退出登录',
      dashboard: '统计分析', slaBoard: 'SLA 看板', escalations: '咨询上报', progressBoard: '进度看板', users: '用户管理', password: '修改密码',
    },
    login: { title: '用户登录', username: '用户名', password: '密码', submit: '登录', demo: "演示账号密码均为 Fiscal{'@'}2026", sso: '统一身份认证登录', or: '或' },
    common: { search: '查询', submit: '提交', save: '保存', cancel: '取消', actions: '操作', detail: '详情', reason: '理由', status: '状态', title: '标题', category: '类别', org: '单位', time: '时间', none: '暂无数据',
      id: '编号', export: '导出 Excel', refresh: '刷新', keyword: '关键字', all: '全部', close: '关闭', back: '返回' },
  },
  en: {
    app: 'Budget System Requirements & Problems',
    nav: {
      home: 'Home', submit: 'Submit requirement', import: 'Bulk import', problem: 'Report problem', tickets: 'My tickets',
      review: 'Review queue', refinement: 'Refinement', confirmation: 'Confirmation', publications: 'Publication board',
      workOrders: 'Work orders', verifications: 'Verification', problemDesk: 'Problem desk', faq: 'FAQ', releases: 'Releases', notifications: 'Notifications', announcements: 'Announcements', logout: 'Sign out',
      dashboard: 'Dashboards', slaBoard: 'SLA board', escalations: 'Escalated questions', progressBoard: 'Progress board', users: 'Users', password: 'Change password',
    },
    login: { title: 'Sign in', username: 'Username', password: 'Password', submit: 'Sign in', demo: "Demo accounts use the password Fiscal{'@'}2026", sso: 'Sign in with the province ID', or: 'or' },
    common: { search: 'Search', submit: 'Submit', save: 'Save', cancel: 'Cancel', actions: 'Actions', detail: 'Details', reason: 'Reason', status: 'Status', title: 'Title', category: 'Category', org: 'Organisation', time: 'Time', none: 'No data',
      id: 'No.', export: 'Export to Excel', refresh: 'Refresh', keyword: 'Keyword', all: 'All', close: 'Close', back: 'Back' },
  },
}

const i18n = createI18n({ legacy: false, locale: localStorage.getItem('fd.locale') || 'zh-CN', fallbackLocale: 'zh-CN', messages })
export default i18n

// A page's own texts, kept next to its template: `const { t, tx } = useTexts('review', { 'zh-CN': {...}, en: {...} })`
// registers them under the page's namespace; `tx('key')` reads the page's text, `t('common.save')` a shared one.
export function useTexts(namespace, texts) {
  for (const [locale, page] of Object.entries(texts)) i18n.global.mergeLocaleMessage(locale, { [namespace]: page })
  const { t, locale } = useI18n()
  return { t, locale, tx: (key, ...args) => t(`${namespace}.${key}`, ...args) }
}
