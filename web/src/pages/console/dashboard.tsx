import { Card, Col, Row, Space, Statistic } from 'antd';
import { api } from '../../api';
import { Chart } from '../../chart';
import { Loadable, useAsync } from '../../common';
import { useT } from '../../i18n';
import { search } from './shared';

export function Dashboard() {
  const t = useT();
  const stats = useAsync(async () => {
    const statuses = ['pending-seal', 'issued', 'suspended', 'cancelled'];
    const counts = await Promise.all(statuses.map((status) => search({ status, pageSize: 1 }).then((p) => p.total)));
    const entries = await api<{ items: { recordedAt: string; outcome?: { document?: string } }[] }>(
      '/api/v1/register/entries',
      { query: { limit: 200 } },
    );
    const from = new Date(Date.now() - 7 * 86400_000);
    const usage = await api<{ summary: { action: string; result: string; count: number }[] }>('/api/v1/audit/usage', {
      query: { from: from.toISOString(), to: new Date().toISOString(), limit: 1 },
    }).catch(() => null); // the usage report is for auditors and admins: others see "—", not a misleading 0
    const today = new Date().toDateString();
    return {
      counts: Object.fromEntries(statuses.map((s, i) => [s, counts[i] ?? 0])) as Record<string, number>,
      todayEntries: entries.items.filter((e) => new Date(e.recordedAt).toDateString() === today).length,
      entries: entries.items,
      usage: usage?.summary ?? null,
    };
  }, []);
  return (
    <Loadable state={stats} what={t('工作台统计', 'dashboard figures')}>
      {(s) => {
        const downloads = s.usage?.filter((u) => /download/.test(u.action)).reduce((a, u) => a + u.count, 0) ?? '—';
        const failures = s.usage?.filter((u) => u.result !== 'success').reduce((a, u) => a + u.count, 0) ?? '—';
        const days = [...Array(7)].map((_, i) => new Date(Date.now() - (6 - i) * 86400_000));
        return (
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            <Row gutter={[16, 16]}>
              {(
                [
                  [t('今日登簿', "Today's entries"), s.todayEntries],
                  [t('待签章', 'Pending seal'), s.counts['pending-seal']],
                  [t('已签发', 'Issued'), s.counts.issued],
                  [t('近 7 日下载', 'Downloads (7 days)'), downloads],
                  [t('近 7 日失败/拒绝', 'Failures (7 days)'), failures],
                ] as const
              ).map(([title, v]) => (
                <Col xs={12} md={8} lg={4} key={title} flex="1">
                  <Card size="small">
                    <Statistic title={title} value={v} />
                  </Card>
                </Col>
              ))}
            </Row>
            <Row gutter={[16, 16]}>
              <Col xs={24} lg={12}>
                <Card title={t('证照状态分布', 'Certificates by status')} size="small">
                  <Chart
                    label={t('证照状态分布饼图', 'Pie chart of certificates by status')}
                    option={{
                      tooltip: { trigger: 'item' },
                      legend: { bottom: 0 },
                      series: [
                        {
                          type: 'pie',
                          radius: ['40%', '68%'],
                          data: [
                            { name: t('待签章', 'Pending'), value: s.counts['pending-seal'] },
                            { name: t('已签发', 'Issued'), value: s.counts.issued },
                            { name: t('已暂停', 'Suspended'), value: s.counts.suspended },
                            { name: t('已注销', 'Cancelled'), value: s.counts.cancelled },
                          ],
                        },
                      ],
                    }}
                  />
                </Card>
              </Col>
              <Col xs={24} lg={12}>
                <Card title={t('近 7 日登簿量', 'Entries, last 7 days')} size="small">
                  <Chart
                    label={t('近 7 日登簿量柱状图', 'Bar chart of entries in the last 7 days')}
                    option={{
                      tooltip: {},
                      grid: { left: 40, right: 16, top: 16, bottom: 32 },
                      xAxis: { type: 'category', data: days.map((d) => `${d.getMonth() + 1}-${d.getDate()}`) },
                      yAxis: { type: 'value', minInterval: 1 },
                      series: [
                        {
                          type: 'bar',
                          itemStyle: { color: '#1456c8' },
                          data: days.map(
                            (d) =>
                              s.entries.filter((e) => new Date(e.recordedAt).toDateString() === d.toDateString())
                                .length,
                          ),
                        },
                      ],
                    }}
                  />
                </Card>
              </Col>
            </Row>
          </Space>
        );
      }}
    </Loadable>
  );
}
