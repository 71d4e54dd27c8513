// 光谷智能问答: the page's own behaviour in the browser. Loaded into <head> by qa/web/app.py.
// Everything here acts on markup the server wrote (classes, data-qa-* outside the chat); it reads
// text with textContent and writes it with textContent or value, so no text can become markup here.
(function () {
  'use strict';
  var labels = window.qaLabels || { zh: {}, page: {} };
  var zhToEn = {};
  Object.keys(labels.zh || {}).forEach(function (en) { zhToEn[labels.zh[en]] = en; });

  function lang() { return document.documentElement.getAttribute('lang') === 'en' ? 'en' : 'zh'; }
  function box() { return document.querySelector('#qa-question textarea, #qa-question input'); }

  // --- light palette: keep Gradio from switching to its dark theme when the system prefers dark ---
  function light() { var b = document.body; if (b && b.classList.contains('dark')) { b.classList.remove('dark'); } }
  function keepLight() {
    light();
    new MutationObserver(light).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }
  if (document.body) { keepLight(); } else { document.addEventListener('DOMContentLoaded', keepLight); }
  document.documentElement.setAttribute('lang', 'zh-CN');

  // --- citations: [n] (or a contents entry) opens the 原文 tab at the passage, highlighted ---
  function sourceTab() { return document.getElementById('qa-tab-source-button'); }
  function show(id, tries) {
    var el = document.getElementById(id);
    if (!el || el.offsetParent === null) {
      if (tries > 0) { setTimeout(function () { show(id, tries - 1); }, 60); }
      return;
    }
    document.querySelectorAll('.qa-flash').forEach(function (x) { x.classList.remove('qa-flash'); });
    el.classList.add('qa-flash');
    // instant, and once more after the tab has laid out (a smooth scroll gets cut short by it)
    el.scrollIntoView({ block: 'center' });
    setTimeout(function () { el.scrollIntoView({ block: 'center' }); }, 250);
    try { el.focus({ preventScroll: true }); } catch (e) {}
  }

  // --- copy: the plain text the server prepared (answer, sentence, sources with sections) ---
  function copyText(text, button) {
    function done() {
      var old = button.textContent;
      button.textContent = (labels.page[lang()] || {}).copied || '✓';
      button.classList.add('qa-copied');
      setTimeout(function () { button.textContent = old; button.classList.remove('qa-copied'); }, 1500);
    }
    function fallback() {  // plain http on a LAN address has no clipboard API
      var ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.style.position = 'fixed'; ta.style.top = '-1000px';
      document.body.appendChild(ta);
      ta.select();
      try { document.execCommand('copy'); } catch (e) {}
      document.body.removeChild(ta);
      done();
    }
    window.qaLastCopy = text;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else { fallback(); }
  }

  // --- ask: a related-question chip puts its question in the box and sends it ---
  function ask(text) {
    var b = box();
    if (!b) { return; }
    var setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(b), 'value').set;
    setter.call(b, text);
    b.dispatchEvent(new Event('input', { bubbles: true }));
    setTimeout(function () { var s = document.getElementById('qa-send'); if (s) { s.click(); } }, 50);
  }

  // --- accessibility aids (top bar) and 长者模式 ---
  function panel(open) {
    var p = document.getElementById('qa-a11y-panel');
    if (!p) { return; }
    if (open === undefined) { open = p.hasAttribute('hidden'); }
    if (open) { p.removeAttribute('hidden'); } else { p.setAttribute('hidden', ''); }
    document.querySelectorAll('[data-qa-action="a11y"]').forEach(function (b) {
      b.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
    if (open) { var f = p.querySelector('button, a'); if (f) { f.focus({ preventScroll: true }); } }
  }
  function toggleElder() {
    var cb = document.querySelector('#qa-elder input[type="checkbox"]');
    if (cb) { cb.click(); }
  }

  document.addEventListener('click', function (ev) {
    var t = ev.target && ev.target.closest ? ev.target : null;
    if (!t) { return; }
    var action = t.closest('[data-qa-action]');
    if (action) {
      var a = action.getAttribute('data-qa-action');
      ev.preventDefault();
      if (a === 'a11y') { panel(); } else if (a === 'a11y-close') { panel(false); } else if (a === 'elder') { toggleElder(); }
      return;
    }
    // (the chat's sanitiser drops data-* attributes: answers carry their copy text and questions as text)
    var copy = t.closest('.qa-copy');
    if (copy) {
      ev.preventDefault();
      var lines = Array.prototype.map.call(copy.closest('.qa-answer').querySelectorAll('.qa-copy-line'),
                                           function (x) { return x.textContent; });
      copyText(lines.join('\n'), copy);
      return;
    }
    var chip = t.closest('.qa-chip');
    if (chip) { ev.preventDefault(); ask(chip.textContent.trim()); return; }
    var link = t.closest('a[data-qa-target], a[href^="#qa-"]');
    if (!link) { return; }
    var id = link.getAttribute('data-qa-target') || (link.getAttribute('href') || '').slice(1);
    if (id === 'qa-question') {  // the skip link: straight to the question box
      var b = box();
      if (b) { ev.preventDefault(); b.focus(); }
      return;
    }
    if (!/^qa-(src|sec)-[A-Za-z0-9_-]+$/.test(id)) { return; }
    ev.preventDefault();
    ev.stopPropagation();
    var tab = sourceTab();
    if (tab && tab.getAttribute('aria-selected') !== 'true') { tab.click(); }
    show(id, 40);
  }, true);
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') { var p = document.getElementById('qa-a11y-panel'); if (p && !p.hidden) { panel(false); } }
  });

  // --- an empty question gets an inline hint instead of a request ---
  function hint(show) {
    var row = document.getElementById('qa-ask-row');
    if (!row) { return; }
    var h = document.getElementById('qa-empty-hint');
    if (!h) {
      h = document.createElement('div');
      h.id = 'qa-empty-hint';
      h.className = 'qa-empty-hint';
      h.setAttribute('role', 'alert');
      h.hidden = true;
      row.parentNode.insertBefore(h, row.nextSibling);
    }
    h.textContent = (labels.page[lang()] || {}).empty_hint || '';
    h.hidden = !show;
  }
  function emptyBox() { var b = box(); return !!b && !b.value.trim(); }
  document.addEventListener('keydown', function (ev) {
    var b = box();
    if (!b || ev.target !== b) { return; }
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && emptyBox()) {
      ev.preventDefault(); ev.stopImmediatePropagation(); hint(true); return;
    }
    // one key from the box to the newest answer's sources
    if (ev.key === 'ArrowDown' && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      var answers = document.querySelectorAll('#qa-chat .qa-answer');
      var last = answers[answers.length - 1];
      var cite = last && last.querySelector('.qa-cites .qa-cite-link');
      if (cite) { ev.preventDefault(); cite.focus(); cite.scrollIntoView({ block: 'nearest' }); }
    }
  }, true);
  document.addEventListener('click', function (ev) {
    var send = ev.target && ev.target.closest && ev.target.closest('#qa-send');
    if (send && emptyBox()) { ev.preventDefault(); ev.stopImmediatePropagation(); hint(true); var b = box(); if (b) { b.focus(); } }
  }, true);
  document.addEventListener('input', function (ev) {
    if (ev.target === box()) { var h = document.getElementById('qa-empty-hint'); if (h && !h.hidden) { hint(false); } }
  }, true);

  // --- feedback: the comment box opens in view, ready to type ---
  var fbShown = false;
  new MutationObserver(function () {
    var fb = document.getElementById('qa-feedback');
    var shown = !!fb && fb.offsetParent !== null && getComputedStyle(fb).display !== 'none';
    if (shown && !fbShown) {
      setTimeout(function () {
        fb.scrollIntoView({ block: 'nearest' });
        var input = fb.querySelector('textarea, input');
        if (input) { try { input.focus({ preventScroll: true }); } catch (e) {} }
      }, 60);
    }
    fbShown = shown;
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['class', 'style'] });

  // --- Gradio's own labels in the page's language; screen readers get an answer's text ---
  var busy = 'This application is currently busy';
  function relabel(root) {
    var zh = lang() === 'zh';
    root.querySelectorAll('#qa-root button[aria-label], #qa-root button[title], #qa-root [role="log"][aria-label]').forEach(function (el) {
      ['aria-label', 'title'].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (!v) { return; }
        var en = zhToEn[v] || (labels.builtin || {})[v];  // ours or Gradio's own Chinese, in English
        var to = zh ? labels.zh[v] || labels.zh[en] : en;
        if (to && to !== v) { el.setAttribute(attr, to); }
      });
    });
    document.querySelectorAll('#qa-chat [aria-label*="<"]').forEach(function (el) {
      var who = el.getAttribute('data-testid') === 'user' ? '问 / Q: ' : '答 / A: ';
      el.setAttribute('aria-label', who + el.textContent.replace(/\s+/g, ' ').trim().slice(0, 400));
    });
  }
  var pending = false;
  function tidy() { pending = false; relabel(document); }
  new MutationObserver(function (muts) {
    if (!pending) { pending = true; requestAnimationFrame(tidy); }
    muts.forEach(function (m) {
      m.addedNodes.forEach(function (n) {
        if (n.nodeType !== 1 || !n.textContent || n.textContent.indexOf(busy) < 0) { return; }
        var walker = document.createTreeWalker(n, NodeFilter.SHOW_TEXT);
        var node;
        while ((node = walker.nextNode())) {
          if (node.nodeValue.indexOf(busy) >= 0) {
            node.nodeValue = '系统繁忙，请稍后再试。The service is busy, please try again.';
          }
        }
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true,
                                         attributeFilter: ['aria-label', 'title'] });

  // --- on load: nothing scrolls; the box gets the focus only where that opens no keyboard ---
  function focusBox(tries) {
    var b = box();
    if (!b) { if (tries > 0) { setTimeout(function () { focusBox(tries - 1); }, 100); } return; }
    if (window.matchMedia && window.matchMedia('(pointer: fine)').matches && window.innerWidth > 760) {
      try { b.focus({ preventScroll: true }); } catch (e) {}
    }
  }
  if ('scrollRestoration' in history) { history.scrollRestoration = 'manual'; }
  // Gradio may insert this script after the page's load event: then start at once
  function onLoad(fn) {
    if (document.readyState === 'complete') { setTimeout(fn, 0); } else { window.addEventListener('load', fn); }
  }
  onLoad(function () { focusBox(50); });

  // --- the two toggles: 长者模式 and English, remembered in this browser ---
  function toggle(id) { return document.querySelector('#' + id + ' input[type="checkbox"]'); }
  document.addEventListener('change', function (ev) {
    var t = ev.target;
    if (!t || !t.closest) { return; }
    if (t.closest('#qa-elder')) { window.qaPage.elder(t.checked); }
    if (t.closest('#qa-english')) { window.qaPage.lang(t.checked); }
  }, true);
  function restore(tries) {
    var elder = toggle('qa-elder'), english = toggle('qa-english');
    if (!elder || !english) { if (tries > 0) { setTimeout(function () { restore(tries - 1); }, 100); } return; }
    var s = function (k) { try { return localStorage.getItem(k); } catch (e) { return null; } };
    // after Gradio has wired its events: a click then reaches the server like a resident's
    setTimeout(function () {
      if ((s('qa-elder') === '1') !== elder.checked) { elder.click(); }
      if ((s('qa-lang') === 'en') !== english.checked) { english.click(); }
    }, 300);
  }
  onLoad(function () { restore(100); });

  // --- a new answer: show its start (its question on top), not its end ---
  var answers = -1;
  new MutationObserver(function () {
    var n = document.querySelectorAll('#qa-chat .qa-answer, #qa-chat .qa-pending').length;
    if (answers >= 0 && n > answers) { window.qaPage.showNewest(); }
    answers = n;
  }).observe(document.documentElement, { childList: true, subtree: true });

  window.qaPage = {
    elder: function (on) {
      document.body.classList.toggle('qa-elder', !!on);
      var root = document.getElementById('qa-root');
      if (root) { root.classList.toggle('qa-elder', !!on); }
      try { localStorage.setItem('qa-elder', on ? '1' : '0'); } catch (e) {}
    },
    lang: function (on) {
      document.documentElement.setAttribute('lang', on ? 'en' : 'zh-CN');
      try { localStorage.setItem('qa-lang', on ? 'en' : 'zh'); } catch (e) {}
      relabel(document);
    },
    // show the start of the newest answer (its question on top), not its end
    showNewest: function () {
      setTimeout(function () {
        var wrap = document.querySelector('#qa-chat .bubble-wrap');
        if (!wrap) { return; }
        var rows = wrap.querySelectorAll('.message-row');
        var row = rows.length >= 2 ? rows[rows.length - 2] : rows[rows.length - 1];
        if (!row) { return; }
        wrap.scrollTop += row.getBoundingClientRect().top - wrap.getBoundingClientRect().top - 8;
      }, 80);
    },
    ask: ask,
    panel: panel
  };
})();
