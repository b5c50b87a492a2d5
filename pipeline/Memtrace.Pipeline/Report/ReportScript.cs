namespace Memtrace.Pipeline.Report;

/// <summary>
/// The page's script. It draws what GpuSections embedded and never computes a metric: per pool a heatmap
/// (x: wall-clock time, y: the pool's segments laid end to end, addresses in hex on the left and GiB on the
/// right, OOM markers), drag-to-zoom that redraws from the finest embedded level, a hover card with the
/// cell's time, address range, state and top stack, and four timelines on the same time axis. Trace
/// strings are only ever set through textContent.
/// </summary>
internal static class ReportScript
{
    private static readonly string RedLine = Schemas.Results.FragmentationTimeline.ContiguousRedLine.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static readonly string Js = $$$"""
        (function(){
        'use strict';
        var D=JSON.parse(document.getElementById('data').textContent);
        var RGB={a:[31,59,115],f:[217,217,217],g:[242,140,40],u:[255,255,255]};
        var NAME={a:'allocated',f:'free',g:'fragmented gap',u:'unmapped'};
        var L=132,R=78,T=22,B=36,W=1000,H=340,TH=150;
        var tip=document.getElementById('tip');
        function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=text;return e;}
        function hex(n){return '0x'+Math.max(0,Math.floor(n)).toString(16);}
        var STEPS={{{Run.ByteSize.ScriptSteps}}};
        function human(b){var a=Math.abs(b);for(var i=0;i<STEPS.length;i++){var s=STEPS[i];if(a>=s[0])return (b/s[0]).toFixed(s[2])+' '+s[1];}return Math.round(b)+' B';}
        function clock(ms){return new Date(ms).toISOString().substr(11,12);}
        {{{AxisTicks.ScriptByteUnit}}}
        function ticks(lo,hi,n){var raw=(hi-lo)/n;if(!(raw>0))return [];var mag=Math.pow(10,Math.floor(Math.log10(raw)));var r=raw/mag;
          var step=r<1.5?mag:r<3.5?2*mag:r<7.5?5*mag:10*mag;var out=[];for(var v=Math.ceil(lo/step)*step;v<=hi+step*1e-9;v+=step)out.push(Math.abs(v)<step*1e-9?0:v);return out;}
        function runs(r,n){var out=new Int32Array(n).fill(-1),k=0;for(var i=0;i<r.length;i+=2)for(var j=0;j<r[i+1]&&k<n;j++)out[k++]=r[i];return out;}
        function swatch(parent,color,label){var s=el('span','sw');s.style.background=color;parent.appendChild(s);parent.appendChild(document.createTextNode(label));}

        var root=document.getElementById('pools');
        if(!D.pools.length){root.appendChild(el('p','muted','no GPU pools in this run'));}
        D.pools.forEach(function(p){
          var sec=el('section','pool');sec.id=p.anchor;root.appendChild(sec);
          sec.appendChild(el('h3',null,p.key));
          if(!p.levels.length){sec.appendChild(el('p','muted','no heatmap for this pool'));return;}
          var lv=p.levels.map(function(l){var n=l.tb*l.ab;var c=document.createElement('canvas');c.width=l.tb;c.height=l.ab;
            var g=c.getContext('2d'),img=g.createImageData(l.tb,l.ab);
            for(var t=0;t<l.tb;t++)for(var a=0;a<l.ab;a++){var rgb=RGB[l.state[t*l.ab+a]]||RGB.u;var o=((l.ab-1-a)*l.tb+t)*4;img.data[o]=rgb[0];img.data[o+1]=rgb[1];img.data[o+2]=rgb[2];img.data[o+3]=255;}
            g.putImageData(img,0,0);return {l:l,img:c,stack:runs(l.stack,n),total:l.off[l.ab]};});
          var total=lv[0].total,span=Math.max(p.spanMs,1e-6);
          var leg=el('div','legend');swatch(leg,'#1f3b73','allocated');swatch(leg,'#d9d9d9','free');swatch(leg,'#f28c28','fragmented gap (free block smaller than the p50 request)');
          swatch(leg,'#ffffff','unmapped');var ol=el('span','oomkey','┃ OOM');leg.appendChild(ol);sec.appendChild(leg);
          var bar=el('div','bar');var info=el('span','muted');var reset=el('button',null,'reset zoom');reset.type='button';bar.appendChild(reset);bar.appendChild(info);sec.appendChild(bar);
          var wrap=el('div','wrap');sec.appendChild(wrap);
          var cv=document.createElement('canvas');cv.width=W;cv.height=H;cv.className='heatmap';cv.dataset.plot=[L,T,W-L-R,H-T-B].join(',');wrap.appendChild(cv);
          var sel=el('div','sel');wrap.appendChild(sel);
          sec.appendChild(el('div','muted','Drag over the heatmap to zoom (time and address); double-click or "reset zoom" to return. Each column is the pool at the end of its time bin.'));
          var charts=[
            {title:'frag_rate and effective_contiguous_ratio (dashed: {{{RedLine}}} — below it the pool is red)',s:[['frag','{{{MetricColors.FragRate}}}','frag_rate'],['ecr','{{{MetricColors.EffectiveContiguousRatio}}}','effective_contiguous_ratio']],lo:0,hi:1,red:{{{RedLine}}}},
            {title:'entropy_log2 of free blocks (bits)',s:[['ent','{{{MetricColors.Entropy}}}','entropy_log2 (by blocks)']]},
            {title:'unusable_index at the p50 and p99 request sizes',s:[['u50','{{{MetricColors.UnusableP50}}}','unusable p50'],['u99','{{{MetricColors.UnusableP99}}}','unusable p99']],lo:0,hi:1},
            {title:'reserved and allocated',s:[['res','{{{MetricColors.Reserved}}}','reserved'],['alc','{{{MetricColors.Allocated}}}','allocated']],bytes:true}];
          charts.forEach(function(c){var h=el('div','ctitle');h.appendChild(el('b',null,c.title+'  '));c.s.forEach(function(s){swatch(h,s[1],s[2]);});sec.appendChild(h);
            c.cv=document.createElement('canvas');c.cv.width=W;c.cv.height=TH;c.cv.className='timeline';sec.appendChild(c.cv);});
          var view={t0:0,t1:span,o0:0,o1:total};
          function level(){return (view.t0<=0&&view.t1>=span&&view.o0<=0&&view.o1>=total)?lv[0]:lv[lv.length-1];}
          function X(t){return L+(t-view.t0)/(view.t1-view.t0)*(W-L-R);}
          function Y(o){return T+(1-(o-view.o0)/(view.o1-view.o0))*(H-T-B);}
          function addrAt(o){var l=lv[0].l;var a=Math.min(l.ab-1,Math.max(0,Math.floor(o/total*l.ab)));return l.addr[a]+(o-l.off[a]);}
          function timeAxis(g,h){g.fillStyle='#333';g.textAlign='center';var ts=ticks(view.t0,view.t1,6);
            ts.forEach(function(t){var x=X(t);g.fillRect(x,h-B,1,4);g.fillText(clock(p.t0ms+t),x,h-B+16);});
            g.textAlign='left';g.fillText('UTC '+new Date(p.t0ms).toISOString().substr(0,10),2,h-4);}
          function ooms(g,h){g.strokeStyle='#d00';g.fillStyle='#d00';g.setLineDash([]);g.lineWidth=2;
            p.ooms.forEach(function(o){if(o.t<view.t0||o.t>view.t1)return;var x=X(o.t);g.beginPath();g.moveTo(x,T);g.lineTo(x,h-B);g.stroke();g.textAlign='center';g.fillText('OOM',x,T-6);});g.lineWidth=1;}
          function draw(){var k=level(),l=k.l,g=cv.getContext('2d');g.clearRect(0,0,W,H);g.imageSmoothingEnabled=false;
            var sx=view.t0/span*l.tb,sw=(view.t1-view.t0)/span*l.tb,sy=(total-view.o1)/total*l.ab,sh=(view.o1-view.o0)/total*l.ab;
            g.drawImage(k.img,sx,sy,sw,sh,L,T,W-L-R,H-T-B);g.strokeStyle='#999';g.strokeRect(L-0.5,T-0.5,W-L-R+1,H-T-B+1);
            g.font='11px system-ui,sans-serif';g.fillStyle='#333';
            var bu=byteUnit(view.o1-view.o0),unit=bu[0],name=bu[1];
            ticks(view.o0/unit,view.o1/unit,5).forEach(function(v){var o=v*unit,y=Y(o);g.fillRect(W-R,y,4,1);g.fillRect(L-4,y,4,1);
              g.textAlign='left';g.fillText((+v.toFixed(3))+name,W-R+6,y+4);g.textAlign='right';g.fillText(hex(addrAt(Math.min(o,total-1))),L-6,y+4);});
            g.save();g.translate(12,(T+H-B)/2);g.rotate(-Math.PI/2);g.textAlign='center';g.fillText('device address (segments end to end)',0,0);g.restore();
            timeAxis(g,H);ooms(g,H);
            info.textContent=(k===lv[0]?'overview':'zoomed')+' · level '+lv.indexOf(k)+' ('+l.tb+' time × '+l.ab+' address bins) · '+human(view.o1-view.o0)+' × '+((view.t1-view.t0)/1000).toFixed(3)+' s';
            charts.forEach(drawChart);}
          function drawChart(c){var g=c.cv.getContext('2d');g.clearRect(0,0,W,TH);g.font='11px system-ui,sans-serif';var tl=p.tl;
            var idx=[];for(var i=0;i<tl.t.length;i++)if(tl.t[i]>=view.t0&&tl.t[i]<=view.t1)idx.push(i);
            var lo=c.lo,hi=c.hi;if(lo==null){lo=Infinity;hi=-Infinity;c.s.forEach(function(s){idx.forEach(function(i){var v=tl[s[0]][i];if(v<lo)lo=v;if(v>hi)hi=v;});});
              if(!isFinite(lo)){lo=0;hi=1;}if(c.bytes)lo=Math.min(0,lo);if(hi-lo<1e-9)hi=lo+1;}
            function Yc(v){return T+(1-(v-lo)/(hi-lo))*(TH-T-B);}
            g.strokeStyle='#999';g.strokeRect(L-0.5,T-0.5,W-L-R+1,TH-T-B+1);g.fillStyle='#333';
            var bu=c.bytes?byteUnit(hi):[1,''],unit=bu[0];
            ticks(lo/unit,hi/unit,3).forEach(function(v){var y=Yc(v*unit);g.fillRect(L-4,y,4,1);g.textAlign='right';g.fillText(c.bytes?(+v.toFixed(2))+bu[1]:String(+v.toFixed(3)),L-6,y+4);});
            if(c.red!=null){g.strokeStyle='#d00';g.setLineDash([5,4]);g.beginPath();g.moveTo(L,Yc(c.red));g.lineTo(W-R,Yc(c.red));g.stroke();g.setLineDash([]);}
            c.s.forEach(function(s){g.strokeStyle=s[1];g.lineWidth=1.5;g.beginPath();idx.forEach(function(i,k){var x=X(tl.t[i]),y=Yc(tl[s[0]][i]);if(k)g.lineTo(x,y);else g.moveTo(x,y);});g.stroke();});
            g.lineWidth=1;timeAxis(g,TH);ooms(g,TH);}
          function at(ev){var r=cv.getBoundingClientRect();var x=(ev.clientX-r.left)*W/r.width,y=(ev.clientY-r.top)*H/r.height;
            return {x:x,y:y,inside:x>=L&&x<=W-R&&y>=T&&y<=H-B,t:view.t0+(x-L)/(W-L-R)*(view.t1-view.t0),o:view.o0+(1-(y-T)/(H-T-B))*(view.o1-view.o0)};}
          var drag=null;
          cv.addEventListener('mousedown',function(ev){var a=at(ev);if(!a.inside)return;drag=a;ev.preventDefault();});
          window.addEventListener('mouseup',function(ev){if(!drag)return;var a=at(ev),d=drag;drag=null;sel.style.display='none';
            if(Math.abs(a.x-d.x)<6&&Math.abs(a.y-d.y)<6)return;
            var t0=Math.max(0,Math.min(a.t,d.t)),t1=Math.min(span,Math.max(a.t,d.t)),o0=Math.max(0,Math.min(a.o,d.o)),o1=Math.min(total,Math.max(a.o,d.o));
            if(Math.abs(a.y-d.y)<6){o0=view.o0;o1=view.o1;}if(Math.abs(a.x-d.x)<6){t0=view.t0;t1=view.t1;}
            if(t1>t0&&o1>o0){view={t0:t0,t1:t1,o0:o0,o1:o1};draw();}});
          cv.addEventListener('mousemove',function(ev){var a=at(ev);
            if(drag){var r=cv.getBoundingClientRect(),sx=r.width/W,sy=r.height/H;sel.style.display='block';
              sel.style.left=(Math.min(a.x,drag.x)*sx)+'px';sel.style.top=(Math.min(a.y,drag.y)*sy)+'px';sel.style.width=(Math.abs(a.x-drag.x)*sx)+'px';sel.style.height=(Math.abs(a.y-drag.y)*sy)+'px';tip.style.display='none';return;}
            if(!a.inside){tip.style.display='none';return;}
            var k=level(),l=k.l;var tb=Math.min(l.tb-1,Math.max(0,Math.floor(a.t/span*l.tb))),ab=Math.min(l.ab-1,Math.max(0,Math.floor(a.o/total*l.ab)));var c=tb*l.ab+ab;
            var from=tb/l.tb*span,to=l.ts[tb];var bytes=l.off[ab+1]-l.off[ab];
            tip.textContent='';tip.appendChild(el('b',null,NAME[l.state[c]]||'unmapped'));
            tip.appendChild(el('div',null,'time '+clock(p.t0ms+from)+' – '+clock(p.t0ms+to)+' UTC'));
            tip.appendChild(el('div',null,'address '+hex(l.addr[ab])+' – '+hex(l.addr[ab]+bytes)+' ('+human(bytes)+' at '+(l.off[ab]/1073741824).toFixed(3)+' GiB)'));
            tip.appendChild(el('div',null,'allocated '+Math.round((l.alloc.charCodeAt(c)-65)*5)+' %'));
            var si=k.stack[c];if(si>=0){var s=p.stacks[si];tip.appendChild(el('div','muted','top stack (most live bytes in the cell):'));tip.appendChild(el('div','frame',s.top));
              var ol=el('ol','frames');s.frames.slice(0,6).forEach(function(f){ol.appendChild(el('li',null,f));});tip.appendChild(ol);}
            else tip.appendChild(el('div','muted','no live allocation with a recorded stack'));
            tip.style.display='block';var tx=ev.clientX+14,ty=ev.clientY+14;if(tx+tip.offsetWidth>window.innerWidth)tx=ev.clientX-tip.offsetWidth-14;
            if(ty+tip.offsetHeight>window.innerHeight)ty=ev.clientY-tip.offsetHeight-14;tip.style.left=(tx+window.scrollX)+'px';tip.style.top=(ty+window.scrollY)+'px';});
          cv.addEventListener('mouseleave',function(){if(!drag)tip.style.display='none';});
          function home(){view={t0:0,t1:span,o0:0,o1:total};draw();}
          cv.addEventListener('dblclick',home);reset.addEventListener('click',home);
          // Each OOM's diagnosis row links here: #heat-ANCHOR-K zooms the heatmap to a window around the pool's K-th OOM.
          p.ooms.forEach(function(o,k){var tr=document.getElementById(o.rowId);if(!tr)return;var table=tr.closest('table');
            if(table&&!table.dataset.heat){table.rows[0].appendChild(el('th',null,'heatmap'));table.dataset.heat='1';}
            var td=el('td'),a=el('a',null,'around it');a.href='#heat-'+p.anchor+'-'+k;td.appendChild(a);tr.appendChild(td);});
          function zoomTo(k){var o=p.ooms[k];if(!o)return;var w=Math.max(span*0.05,0.001);view={t0:Math.max(0,o.t-w),t1:Math.min(span,o.t+w),o0:0,o1:total};draw();sec.scrollIntoView();}
          function onHash(){var m=/^#heat-(.+)-(\d+)$/.exec(location.hash);if(m&&m[1]===p.anchor)zoomTo(+m[2]);}
          window.addEventListener('hashchange',onHash);
          draw();onHash();
        });
        })();
        """;
}
