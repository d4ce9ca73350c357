/** The renderer's entry: finds the bridge, builds the root state, mounts the UI. */
import { mount } from 'svelte';
import App from './components/App.svelte';
import { findBridge } from './bridge';
import { browserPlatform } from './platform';
import { AppState } from './state/app-state.svelte';
import './styles/theme.css';
import './styles/base.css';
import './styles/form.css';

const target = document.getElementById('app')!;
const api = findBridge();

if (api === null) {
  target.textContent = 'Trunkline cannot reach its engine: the bridge (window.trunkline) is missing.';
} else {
  const app = new AppState(api, browserPlatform);
  mount(App, { target, props: { app } });
  void app.start();
  window.addEventListener('pagehide', () => app.destroy());
}
