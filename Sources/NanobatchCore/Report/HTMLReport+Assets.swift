/// The page's inline CSS and script (no external files: the page works from `file://` and offline).
extension HTMLReport {
    static let css = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 24px 48px;color:#1d1d1f;background:#fafafa}
        [hidden]{display:none!important}
        h1{margin:20px 0 4px}h2{margin:0;font-size:18px;display:inline}.when{color:#666;margin:0 0 12px}
        .counts{list-style:none;padding:0;display:flex;gap:16px;flex-wrap:wrap}.count b{font-size:20px}
        .count.failed b{color:#b00020}.count.skipped b{color:#8a6d00}.count.made b{color:#1b7f3a}
        table.costs{border-collapse:collapse;margin:8px 0}table.costs td,table.costs th{border:1px solid #ddd;padding:3px 10px;text-align:left}
        .list-value{margin:6px 0}.diff{margin:12px 0}.diff h3{font-size:14px;margin:8px 0 2px}.note{color:#666}
        nav.toc{margin:12px 0}nav.toc h2{font-size:15px}nav.toc ol{margin:4px 0;padding-left:22px;columns:3 220px}nav.toc .failed{color:#b00020}
        form.filter{position:sticky;top:0;z-index:1;background:#fafafa;padding:6px 0;border-bottom:1px solid #e0e0e0}
        form.filter label{margin-right:12px}form.filter output{color:#666}
        details.prompt{margin:20px 0 0}details.prompt>summary{cursor:pointer;margin-bottom:6px}.prompt-text{color:#444;max-width:80ch}
        ul.reasons{margin:4px 0 8px;padding-left:20px;color:#0b57d0}
        table.grid{border-collapse:collapse}table.grid th,table.grid td{border:1px solid #e0e0e0;padding:6px;vertical-align:top}
        tr.sub th{font-weight:400;font-size:12px;color:#555;text-align:left;white-space:nowrap}
        th.model{text-align:left;white-space:nowrap;font-weight:600}tr.step th.model{padding-left:20px;color:#555}
        .step-prompt{font-weight:400;white-space:normal;max-width:28ch;margin:4px 0 0;font-size:12px;color:#444}
        td.cell{white-space:nowrap}figure.job{display:inline-block;margin:0 6px 6px 0;vertical-align:top;white-space:normal;max-width:220px}
        figure.job img{display:block;background:#eee;border:1px solid #ccc}
        figure.job a.before img{opacity:.85;border-style:dashed}figure.job a.before{display:block;margin-top:4px}
        figure.pick{outline:3px solid #f2a900;outline-offset:2px;background:#fff8e1}.pick-mark{color:#8a5a00;font-weight:600}
        .missing{display:flex;align-items:center;justify-content:center;text-align:center;font-size:12px;padding:6px;box-sizing:border-box;overflow:hidden;border:1px dashed #bbb;background:#f3f3f3;color:#666}
        figure.failed .missing{border-color:#b00020;color:#b00020;background:#fff5f6}
        figcaption{font-size:12px;color:#555}.status{font-weight:600}.failed .status{color:#b00020}.skipped .status{color:#8a6d00}
        .change{color:#0b57d0}.warn{color:#b00020}.values{color:#333}button.copy{font-size:11px;margin-top:3px}
        @media print{body{background:#fff;margin:0}details{display:block}details.prompt{break-inside:avoid}form.filter,button.copy{display:none}a{color:inherit;text-decoration:none}}
        """

    /// Marks how many thumbnails loaded (`data-thumbnails`, used by the browser test) and when the page was
    /// ready (`data-ready-ms`, the benchmark); fills a closed group from its template when it is opened; runs
    /// the filter (over templates too), the copy buttons, and opens a group a link points to.
    static let script = """
        (function(){var b=document.body;b.setAttribute('data-ready-ms',Math.round(performance.now()));
        var total=0,ok=0;function show(){b.setAttribute('data-thumbnails',ok+'/'+total)}
        function watch(list){[].forEach.call(list,function(i){total++;if(i.complete){if(i.naturalWidth>0)ok++}else{i.addEventListener('load',function(){ok++;show()})}});show()}
        watch(document.images);
        var groups=[].slice.call(document.querySelectorAll('details.prompt'));
        function inner(g){var t=g.querySelector(':scope>template');return t?t.content:g}
        function fill(g){var t=g.querySelector(':scope>template');if(!t)return;var imgs=t.content.querySelectorAll('img');g.replaceChild(t.content,t);watch(imgs)}
        groups.forEach(function(g){g.addEventListener('toggle',function(){if(g.open)fill(g)})});
        var form=document.getElementById('filter');function v(n){return form.elements[n].value}
        function apply(){var s=v('status'),m=v('model'),r=v('ratio'),shown=0,all=0;
        groups.forEach(function(g){var root=inner(g),any=false;
        [].forEach.call(root.querySelectorAll('figure.job'),function(f){all++;var d=f.dataset;
        var ok=(!s||(s==='picked'?f.classList.contains('pick'):d.status===s))&&(!m||d.model===m)&&(!r||d.ratio===r);f.hidden=!ok;if(ok){shown++;any=true}});
        [].forEach.call(root.querySelectorAll('tbody tr'),function(tr){tr.hidden=!tr.querySelector('figure.job:not([hidden])')});
        g.hidden=!any});
        document.getElementById('shown').textContent=(s||m||r)?shown+' of '+all+' shown':'';}
        var q=new URLSearchParams(location.search);['status','model','ratio'].forEach(function(n){if(q.get(n))form.elements[n].value=q.get(n)});
        form.addEventListener('change',apply);if(q.get('status')||q.get('model')||q.get('ratio'))apply();
        function openTarget(){var t=location.hash&&document.getElementById(location.hash.slice(1));if(t&&t.tagName==='DETAILS')t.open=true}
        window.addEventListener('hashchange',openTarget);openTarget();
        document.addEventListener('click',function(e){var t=e.target;if(!t.classList||!t.classList.contains('copy'))return;
        var c=t.getAttribute('data-command');function done(){t.textContent='copied'}
        if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard.writeText(c).then(done,function(){prompt('Copy:',c)})}else{prompt('Copy:',c)}});
        window.addEventListener('load',function(){b.setAttribute('data-load-ms',Math.round(performance.now()))})})();
        """
}
