import { createApp } from 'vue'
import App from './App.vue'
import { setUnauthorizedHandler } from './api'
import { i18n } from './i18n'
import { router } from './router'
import { dropSession } from './session'
import './style.css'

// A 401 from any call means the session is gone: back to the login page.
setUnauthorizedHandler(() => {
  dropSession()
  const current = router.currentRoute.value
  if (current.name !== 'login') {
    void router.replace({ name: 'login', query: { redirect: current.fullPath } })
  }
})

createApp(App).use(i18n).use(router).mount('#app')
