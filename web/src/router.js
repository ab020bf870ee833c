import { createRouter, createWebHistory } from 'vue-router'
import { session } from './api.js'

const view = (name) => () => import(`./views/${name}.vue`)

const routes = [
  { path: '/login', component: view('Login'), meta: { public: true } },
  {
    path: '/',
    component: view('Layout'),
    children: [
      { path: '', redirect: '/home' },
      { path: 'home', component: view('Home') },
      { path: 'submit', component: view('SubmitRequirement') },
      { path: 'import', component: view('ImportSpreadsheet') },
      { path: 'tickets', component: view('Tickets') },
      { path: 'tickets/:id', component: view('TicketDetail'), props: true },
      { path: 'review', component: view('ReviewQueue') },
      { path: 'refinement', component: view('RefinementQueue') },
      { path: 'confirmation', component: view('ConfirmationQueue') },
      { path: 'publications', component: view('Publications') },
      { path: 'work-orders', component: view('WorkOrders') },
      { path: 'progress-board', component: view('ProgressBoard') },
      { path: 'problems/new', component: view('ReportProblem') },
      { path: 'problem-desk', component: view('ProblemDesk') },
      { path: 'escalations', component: view('ProblemDesk'), props: { initialTab: 'escalations' } },
      { path: 'faq', component: view('Faq') },
      { path: 'verifications', component: view('Verifications') },
      { path: 'releases', component: view('Releases') },
      { path: 'notifications', component: view('Notifications') },
      { path: 'announcements', component: view('Announcements') },
      { path: 'dashboard', component: view('Dashboard') },
      { path: 'sla-board', component: view('SlaBoard') },
      { path: 'users', component: view('Users') },
      { path: 'password', component: view('ChangePassword') },
      { path: ':unknown(.*)*', redirect: '/home' },
    ],
  },
]

const router = createRouter({ history: createWebHistory(), routes })
// A new account or a reset password (the sign-in answer's must_change_password) goes nowhere but 修改密码.
router.beforeEach((to) => {
  if (to.meta.public) return true
  const current = session()
  if (!current) return { path: '/login', query: { next: to.fullPath } }
  if (current.must_change_password && to.path !== '/password') return { path: '/password' }
  return true
})
export default router
