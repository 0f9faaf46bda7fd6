import { createRouter, createWebHistory } from 'vue-router'
import { loadSession, session } from './session'

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
    { path: '/', name: 'dashboard', component: () => import('./pages/DashboardPage.vue') },
    { path: '/people', name: 'people', component: () => import('./pages/PeoplePage.vue') },
    { path: '/people/:id', name: 'person', component: () => import('./pages/PersonPage.vue'), props: true },
    { path: '/segments', name: 'segments', component: () => import('./pages/SegmentsPage.vue') },
    // `new` is a static path, so it ranks above `:id`.
    { path: '/segments/new', name: 'segment-new', component: () => import('./pages/SegmentPage.vue'), props: true },
    { path: '/segments/:id', name: 'segment', component: () => import('./pages/SegmentPage.vue'), props: true },
    { path: '/tags', name: 'tags', component: () => import('./pages/TagsPage.vue') },
    { path: '/journeys', name: 'journeys', component: () => import('./pages/JourneysPage.vue') },
    { path: '/journeys/new', name: 'journey-new', component: () => import('./pages/JourneyPage.vue'), props: true },
    { path: '/journeys/:id', name: 'journey', component: () => import('./pages/JourneyPage.vue'), props: true },
    { path: '/messages', name: 'messages', component: () => import('./pages/MessagesPage.vue') },
    { path: '/coupons', name: 'coupons', component: () => import('./pages/CouponsPage.vue') },
    { path: '/loyalty', name: 'loyalty', component: () => import('./pages/LoyaltyPage.vue') },
    { path: '/referrals', name: 'referrals', component: () => import('./pages/ReferralsPage.vue') },
    { path: '/groups', name: 'groups', component: () => import('./pages/GroupsPage.vue') },
    { path: '/contacts', name: 'contacts', component: () => import('./pages/ContactsPage.vue') },
    { path: '/contacts/codes', name: 'channel-codes', component: () => import('./pages/ChannelCodesPage.vue') },
    { path: '/ugc', name: 'ugc', component: () => import('./pages/UgcPage.vue') },
    { path: '/subscriptions', name: 'subscriptions', component: () => import('./pages/SubscriptionsPage.vue') },
    { path: '/live', name: 'live', component: () => import('./pages/LivePage.vue') },
    { path: '/live/:id', name: 'live-monitor', component: () => import('./pages/LiveMonitorPage.vue'), props: true },
    { path: '/live/:id/review', name: 'live-review', component: () => import('./pages/LiveReviewPage.vue'), props: true },
    { path: '/service/tickets', name: 'tickets', component: () => import('./pages/ServiceTicketsPage.vue') },
    { path: '/service/conversations', name: 'conversations', component: () => import('./pages/ServiceConversationsPage.vue') },
    { path: '/service/faq', name: 'faq', component: () => import('./pages/ServiceFaqPage.vue') },
    { path: '/reports', name: 'reports', component: () => import('./pages/ReportsPage.vue') },
    { path: '/models', name: 'models', component: () => import('./pages/ModelsPage.vue') },
    { path: '/settings', name: 'settings', component: () => import('./pages/SettingsPage.vue') },
    // The WeCom chat sidebar: signed in like every page, but narrow and without the console's navigation.
    { path: '/sidebar', name: 'sidebar', component: () => import('./pages/SidebarPage.vue'), meta: { bare: true } },
    { path: '/:rest(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue') },
  ],
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
})

// Every page but the login page needs a session; ask the server once per page load.
router.beforeEach(async (to) => {
  if (!session.state.checked) {
    try {
      await loadSession()
    } catch {
      // Server unreachable: the login page shows the error when the user tries.
    }
  }
  const signedIn = session.state.session !== null
  if (!to.meta.public && !signedIn) {
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  if (to.name === 'login' && signedIn) return { name: 'dashboard' }
})
