import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTRPC } from '../client.js';
import { breakdownBy, formatMoney, formatNumber } from '../format.js';
import { useI18n } from '../locale.js';
import { Empty, ErrorBox, Loading } from '../ui.js';
import { axisWidth, formatDay, moneyTicks, shorten, TICK_FONT_SIZE } from './axes.js';

const TICK = { fontSize: TICK_FONT_SIZE };

export function OverviewScreen() {
  const trpc = useTRPC();
  const { t, locale } = useI18n();
  const usage = useQuery(trpc.billing.usage.queryOptions({ limit: 100 }));
  const wallet = useQuery(trpc.billing.wallet.queryOptions());
  const models = useQuery(trpc.models.list.queryOptions({ limit: 100 }));
  const apps = useQuery(trpc.applications.list.queryOptions({ limit: 100 }));

  const modelName = (id: string) => models.data?.data.find((m) => m.id === id)?.name ?? id;
  const appName = (id: string) => (id === '—' ? t('overview.noApp') : (apps.data?.data.find((a) => a.id === id)?.name ?? id));
  const money = (v: unknown) => formatMoney(Number(v), locale);
  const day = (v: unknown) => formatDay(String(v), locale);

  return (
    <section>
      <h1>{t('overview.title')}</h1>
      {usage.isPending ? (
        <Loading />
      ) : usage.isError ? (
        <ErrorBox error={usage.error} onRetry={() => void usage.refetch()} />
      ) : (
        <>
          <div className="stats">
            <Stat label={t('overview.calls')} value={formatNumber(usage.data.totals.calls, locale)} />
            <Stat label={t('overview.cost')} value={formatMoney(usage.data.totals.cost, locale)} />
            <Stat
              label={t('overview.tokens')}
              value={formatNumber(usage.data.totals.input_tokens + usage.data.totals.output_tokens, locale)}
            />
            <Stat
              label={t('overview.balance')}
              value={wallet.isPending ? '…' : wallet.isError ? '!' : formatMoney(wallet.data.available, locale)}
            />
          </div>
          {usage.data.totals.calls === 0 ? (
            <Empty>{t('overview.noUsage')}</Empty>
          ) : (
            <div className="charts">
              <figure className="chart" data-testid="chart-daily">
                <figcaption>{t('overview.daily')}</figcaption>
                <ResponsiveContainer width="100%" height={260}>
                  <LineChart data={usage.data.daily}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis tick={TICK} dataKey="date" tickFormatter={day} minTickGap={12} />
                    <YAxis
                      tick={TICK}
                      yAxisId="cost"
                      tickFormatter={money}
                      width={axisWidth(
                        moneyTicks(
                          usage.data.daily.map((d) => d.cost),
                          money,
                        ),
                      )}
                    />
                    <YAxis
                      tick={TICK}
                      yAxisId="calls"
                      orientation="right"
                      allowDecimals={false}
                      width={axisWidth(usage.data.daily.map((d) => String(d.calls)))}
                    />
                    <Tooltip formatter={(v, name) => (name === t('overview.cost') ? money(v) : String(v))} />
                    <Legend />
                    <Line
                      yAxisId="cost"
                      type="monotone"
                      dataKey="cost"
                      name={t('overview.cost')}
                      stroke="#4f46e5"
                      isAnimationActive={false}
                    />
                    <Line
                      yAxisId="calls"
                      type="monotone"
                      dataKey="calls"
                      name={t('overview.calls')}
                      stroke="#16a34a"
                      isAnimationActive={false}
                    />
                  </LineChart>
                </ResponsiveContainer>
              </figure>
              <BreakdownChart
                testId="chart-models"
                title={t('overview.perModel')}
                data={breakdownBy(usage.data.data, 'model_id').map((b) => ({ ...b, label: modelName(b.key) }))}
                money={money}
                costLabel={t('overview.cost')}
              />
              <BreakdownChart
                testId="chart-apps"
                title={t('overview.perApp')}
                data={breakdownBy(usage.data.data, 'app_id').map((b) => ({ ...b, label: appName(b.key) }))}
                money={money}
                costLabel={t('overview.cost')}
              />
            </div>
          )}
        </>
      )}
    </section>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <span>{label}</span>
      <strong>{value}</strong>
    </div>
  );
}

function BreakdownChart(props: {
  testId: string;
  title: string;
  data: { label: string; cost: number; calls: number }[];
  money: (v: unknown) => string;
  costLabel: string;
}) {
  return (
    <figure className="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={props.data}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis tick={TICK} dataKey="label" tickFormatter={(v) => shorten(String(v), 14)} interval="preserveStartEnd" minTickGap={8} />
          <YAxis
            tick={TICK}
            tickFormatter={props.money}
            width={axisWidth(
              moneyTicks(
                props.data.map((d) => d.cost),
                props.money,
              ),
            )}
          />
          <Tooltip formatter={(v) => props.money(v)} />
          <Bar dataKey="cost" name={props.costLabel} fill="#4f46e5" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
