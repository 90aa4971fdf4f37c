// PeerGate dashboard: keeps the page's live part current from its server-sent event stream.
// The server renders (and HTML-encodes) every fragment; this script only swaps it in.
(function () {
  'use strict';
  var live = document.getElementById('live');
  var state = document.getElementById('stream-state');
  if (!live || !live.dataset.events || typeof EventSource === 'undefined') {
    return;
  }

  function show(text) {
    if (state) {
      state.textContent = text;
    }
  }

  var source = new EventSource(live.dataset.events);
  source.onopen = function () { show('live'); };
  source.onerror = function () {
    // Closed for good: the login ended or the stream was refused; the login page says which.
    if (source.readyState === EventSource.CLOSED) {
      window.location.assign('/dashboard/login');
      return;
    }
    show('reconnecting');
  };
  source.addEventListener('update', function (event) {
    live.innerHTML = event.data;
    live.dataset.updates = String(Number(live.dataset.updates || '0') + 1);
    show('live');
  });
  source.addEventListener('logout', function () {
    source.close();
    window.location.assign('/dashboard/login');
  });
  window.addEventListener('pagehide', function () { source.close(); });
})();
